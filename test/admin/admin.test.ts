import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { describeForBackends } from '../support/backends.js';
import { completeAuthentication, initiateAuthentication, register, sessionCall, signIn } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import { match } from '../support/match.js';
import { adminCall } from './admin-rpc.js';

const TOKEN = randomBytes(32).toString('base64url');
const platform = () => new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });
const adminMethodNames = ['createScope', 'updateScope', 'listScopes', 'disableAccount', 'enableAccount', 'getAuditLog', 'createApiKey', 'listApiKeys', 'revokeApiKey'];

describe('admin methods without ADMIN_TOKEN_FILE', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startGateway('embedded');
  });
  afterAll(() => harness.close());

  it('should not exist: every admin method is method_not_found, with or without a token', async () => {
    for (const method of adminMethodNames) {
      const reply = await adminCall(harness.url, method, {}, TOKEN);
      expect(reply.error).toMatchObject({ code: -32601, data: 'method_not_found' });
    }
  });
});

describeForBackends('admin methods behind the bearer token', (backend) => {
  let harness: Harness;
  let tokenDir: string;
  beforeAll(async () => {
    // The token file is written before the gateway starts; surrounding whitespace is ignored.
    tokenDir = mkdtempSync(join(tmpdir(), 'pkgw-admin-'));
    const tokenFile = join(tokenDir, 'admin-token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    harness = await startGateway(backend, { ADMIN_TOKEN_FILE: tokenFile });
  });
  afterAll(async () => {
    await harness.close();
    rmSync(tokenDir, { recursive: true, force: true });
  });

  it('should refuse a missing, wrong or malformed token with admin_unauthorized', async () => {
    for (const token of [undefined, `${TOKEN}x`, TOKEN.slice(1), '']) {
      const reply = await adminCall(harness.url, 'listScopes', {}, token);
      expect(reply.error).toMatchObject({ code: -32030, data: 'admin_unauthorized' });
    }
    const basic = await fetch(harness.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${TOKEN}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'listScopes' }),
    });
    expect(((await basic.json()) as { error: { data: string } }).error.data).toBe('admin_unauthorized');
  });

  it('should create, update and list scopes, and the new scope serves ceremonies at once', async () => {
    const created = await adminCall<{ scope_id: string }>(harness.url, 'createScope', { name: 'Shop', rp_id: 'localhost', origins: [TEST_ORIGIN], session_ttl: 900 }, TOKEN);
    expect(created.result).toMatchObject({ name: 'Shop', rp_name: 'Shop', session_ttl: 900, rate_limit_ip_per_minute: null, user_verification: 'required' });
    const scopeId = created.result!.scope_id;

    const updated = await adminCall(harness.url, 'updateScope', { scope_id: scopeId, name: 'Shop 2', rate_limit_user_per_minute: 7 }, TOKEN);
    // Only the named settings change: session_ttl keeps 900 rather than going back to its default.
    expect(updated.result).toMatchObject({ scope_id: scopeId, name: 'Shop 2', session_ttl: 900, rate_limit_user_per_minute: 7 });

    const listed = await adminCall<{ scopes: Array<{ scope_id: string }> }>(harness.url, 'listScopes', {}, TOKEN);
    expect(listed.result!.scopes.map((scope) => scope.scope_id)).toContain(scopeId);

    const client = new RpcClient(harness.url, scopeId, harness.publicKey);
    await expect(register(client, platform(), `user-${randomUUID().slice(0, 8)}`)).resolves.toMatchObject({ account_id: match.any(String) });
  });

  it('should answer scope_not_found and invalid_params for bad updates', async () => {
    expect((await adminCall(harness.url, 'updateScope', { scope_id: randomUUID(), name: 'x' }, TOKEN)).error?.data).toBe('scope_not_found');
    expect((await adminCall(harness.url, 'createScope', { name: 'x', rp_id: 'localhost', origins: ['not an origin'] }, TOKEN)).error?.data).toBe('invalid_params');
  });

  it('should disable an account (sign-in and its sessions refused) and enable it again, by id or by username', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const client = new RpcClient(harness.url, scopeId, harness.publicKey);
    const authenticator = platform();
    const username = `Dana-${randomUUID().slice(0, 8)}`;
    const { account_id } = await register(client, authenticator, username);
    const session = await signIn(client, authenticator, username);

    const disabled = await adminCall(harness.url, 'disableAccount', { scope_id: scopeId, username: username.toUpperCase() }, TOKEN);
    expect(disabled.result).toEqual({ account_id, scope_id: scopeId, disabled: true });
    expect((await sessionCall(client, session, 'getAccount')).error?.data).toBe('account_disabled');
    const refused = await completeAuthentication(client, await initiateAuthentication(client, username), authenticator);
    expect(refused.error?.data).toBe('account_disabled');

    expect((await adminCall(harness.url, 'enableAccount', { scope_id: scopeId, account_id }, TOKEN)).result).toEqual({ account_id, scope_id: scopeId, disabled: false });
    expect((await sessionCall(client, session, 'getAccount')).result).toMatchObject({ account_id });

    // An account of another scope is not found through this one.
    const other = (await harness.createScope()).scope_id;
    expect((await adminCall(harness.url, 'disableAccount', { scope_id: other, account_id }, TOKEN)).error?.data).toBe('account_not_found');
    expect((await adminCall(harness.url, 'disableAccount', { scope_id: scopeId }, TOKEN)).error?.data).toBe('invalid_params');
    // No stored username holds a control character (PostgreSQL text cannot even bind NUL): refused up front, not a failed query.
    for (const name of [`${username}\0`, `${username}\u0007`]) {
      expect((await adminCall(harness.url, 'disableAccount', { scope_id: scopeId, username: name }, TOKEN)).error?.data).toBe('invalid_params');
    }
  });

  it('should end every session of an account with revokeSessions, audited, and let it sign in again', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const [laptop, phone] = [new RpcClient(harness.url, scopeId, harness.publicKey), new RpcClient(harness.url, scopeId, harness.publicKey)];
    const authenticator = platform();
    const username = `Eve-${randomUUID().slice(0, 8)}`;
    const { account_id } = await register(laptop, authenticator, username);
    const sessions = [[laptop, await signIn(laptop, authenticator, username)], [phone, await signIn(phone, authenticator, username)]] as const;

    expect((await adminCall(harness.url, 'revokeSessions', { scope_id: scopeId, username }, TOKEN)).result).toEqual({ account_id, scope_id: scopeId, sessions_revoked: true });
    for (const [client, session] of sessions) expect((await sessionCall(client, session, 'getAccount')).error?.data).toBe('session_invalid');
    const events = await harness.gateway.stores.auditLog.listAuditEvents(scopeId, { limit: 100 });
    expect(events.filter((event) => event.event === 'sessions_revoked')).toEqual([expect.objectContaining({ account_id, reason: 'admin' })]);

    // Sessions carry whole seconds: one from the next second on works.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
    expect((await sessionCall(laptop, await signIn(laptop, authenticator, username), 'getAccount')).result).toMatchObject({ account_id });
    expect((await adminCall(harness.url, 'revokeSessions', { scope_id: (await harness.createScope()).scope_id, account_id }, TOKEN)).error?.data).toBe('account_not_found');
  });
});
