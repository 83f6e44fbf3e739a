import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { runAuditCli } from '../../src/audit/audit-cli.js';
import { describeForBackends } from '../support/backends.js';
import { completeAuthentication, initiateAuthentication, register, sessionCall, signIn } from '../support/ceremonies.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { match } from '../support/match.js';
import { adminCall } from '../admin/admin-rpc.js';

const TOKEN = randomBytes(32).toString('base64url');
const platform = () => new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });

/** The parts of a getAuditLog result these tests read. */
interface AuditLogPage {
  events: Array<{ event: string; account_id: string | null; reason: string | null; client_ip: string | null; request_id: string }>;
  next_after_id: number | null;
}

describeForBackends('audit log', (backend) => {
  let harness: Harness;
  let tokenDir: string;
  beforeAll(async () => {
    tokenDir = mkdtempSync(join(tmpdir(), 'pkgw-audit-'));
    writeFileSync(join(tokenDir, 'token'), TOKEN);
    harness = await startGateway(backend, { ADMIN_TOKEN_FILE: join(tokenDir, 'token') });
  });
  afterAll(async () => {
    await harness.close();
    rmSync(tokenDir, { recursive: true, force: true });
  });

  it('should record a user\'s whole life in order, readable by getAuditLog and by npm run audit', async () => {
    const started = new Date().toISOString();
    const scopeId = (await harness.createScope()).scope_id;
    const client = new RpcClient(harness.url, scopeId, harness.publicKey);
    const authenticator = platform();
    const username = `erin-${randomUUID().slice(0, 8)}`;
    const { account_id } = await register(client, authenticator, username);
    const session = await signIn(client, authenticator, username);
    // A sign-in signed for another origin fails verification.
    const failed = await completeAuthentication(client, await initiateAuthentication(client, username), authenticator, {}, 'https://evil.example');
    expect(failed.error?.data).toBe('verification_failed');
    const second = platform();
    await register(client, second, username, session);
    const listed = await sessionCall<{ credentials: Array<{ credential_id: string }> }>(client, session, 'listCredentials');
    const secondId = listed.result!.credentials[1]!.credential_id;
    await sessionCall(client, session, 'renameCredential', { credential_id: secondId, name: 'Laptop' });
    await sessionCall(client, session, 'deleteCredential', { credential_id: secondId });
    await sessionCall(client, session, 'logout');
    await adminCall(harness.url, 'disableAccount', { scope_id: scopeId, account_id }, TOKEN);

    const page = await adminCall<AuditLogPage>(harness.url, 'getAuditLog', { scope_id: scopeId }, TOKEN);
    const events = page.result!.events;
    expect(events.map((e) => [e.event, e.reason])).toEqual([
      ['registration', null],
      ['sign_in_succeeded', null],
      ['sign_in_failed', 'verification_failed'],
      ['credential_added', null],
      ['credential_renamed', null],
      ['credential_deleted', null],
      ['sign_out', null],
      ['account_disabled', 'admin'],
    ]);
    for (const e of events.filter((e) => e.event !== 'sign_in_failed')) expect(e.account_id).toBe(account_id);
    expect(events[0]).toMatchObject({ client_ip: match.stringMatching(/127\.0\.0\.1/), request_id: match.any(String) });
    expect(page.result!.next_after_id).toBeNull();

    // Paging: two at a time, continuing after the last id seen.
    const firstTwo = await adminCall<AuditLogPage>(harness.url, 'getAuditLog', { scope_id: scopeId, limit: 2 }, TOKEN);
    const nextTwo = await adminCall<AuditLogPage>(harness.url, 'getAuditLog', { scope_id: scopeId, limit: 2, after_id: firstTwo.result!.next_after_id }, TOKEN);
    expect(nextTwo.result!.events.map((e) => e.event)).toEqual(['sign_in_failed', 'credential_added']);

    // The operator's CLI reads the same log from the store, one JSON object per line.
    const env = harness.env;
    const cli = await runAuditCli(['--scope', scopeId, '--since', started], { PATH: process.env.PATH, ...env });
    expect(cli).toMatchObject({ code: 0, stderr: '' });
    expect(cli.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { event: string }).event)).toEqual(events.map((e) => e.event));
    const none = await runAuditCli(['--scope', scopeId, '--since', '2999-01-01T00:00:00Z'], { PATH: process.env.PATH, ...env });
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect((await runAuditCli(['--scope', 'nope'], env)).code).toBe(2);
    expect((await runAuditCli(['--scope', scopeId, '--since', 'yesterday'], env)).code).toBe(2);
  });
});
