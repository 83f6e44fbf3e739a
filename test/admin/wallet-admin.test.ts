/**
 * The wallet settings and delegate keys through the admin API and the scope CLI, as an operator
 * sets them up, on both store pairs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runScopeCli } from '../../src/scopes/scope-cli.js';
import type { Scope } from '../../src/domain/scope.js';
import { describeForBackends } from '../support/backends.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import { newDelegateKey } from '../support/wallet.js';
import { adminCall } from './admin-rpc.js';

const TOKEN = randomBytes(32).toString('base64url');

describeForBackends('wallet settings and delegate keys, by the admin API and the scope CLI', (backend) => {
  let harness: Harness;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pkgw-wallet-admin-'));
    const tokenFile = join(dir, 'admin-token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    harness = await startGateway(backend, { ADMIN_TOKEN_FILE: tokenFile });
  });
  afterAll(async () => {
    await harness.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = <T>(method: string, params: unknown, token: string | undefined = TOKEN) => adminCall<T>(harness.url, method, params, token);

  it('should create scopes with the wallet off, and turn it on with allowed chains and a signing window', async () => {
    const created = await admin<Scope>('createScope', { name: 'Shop', rp_id: 'localhost', origins: [TEST_ORIGIN] });
    expect(created.result).toMatchObject({ wallet: 'off', allowed_chain_ids: null, signing_window_s: 300, rate_limit_signing_per_minute: null });
    const scopeId = created.result!.scope_id;
    const updated = await admin<Scope>('updateScope', { scope_id: scopeId, wallet: 'on', allowed_chain_ids: [1, 8453], signing_window_s: 120, rate_limit_signing_per_minute: 10 });
    expect(updated.result).toMatchObject({ wallet: 'on', allowed_chain_ids: [1, 8453], signing_window_s: 120, rate_limit_signing_per_minute: 10, name: 'Shop' });
    expect((await admin('updateScope', { scope_id: scopeId, wallet: 'yes' })).error?.data).toBe('invalid_params');
    expect((await admin('updateScope', { scope_id: scopeId, allowed_chain_ids: [0] })).error?.data).toBe('invalid_params');
    expect((await admin('updateScope', { scope_id: scopeId, signing_window_s: 5 })).error?.data).toBe('invalid_params');
    expect((await admin<Scope>('updateScope', { scope_id: scopeId, allowed_chain_ids: null })).result?.allowed_chain_ids).toBeNull();
  });

  it('should add, list and remove delegate keys, audited, and refuse what is not a key it takes', async () => {
    const scope = await harness.createScope();
    const delegate = newDelegateKey();
    expect((await admin('addDelegateKey', { scope_id: scope.scope_id, public_key: delegate.publicKey }, 'wrong-token')).error?.data).toBe('admin_unauthorized');
    const added = await admin<{ key_id: string; public_key: string; name: string }>('addDelegateKey', { scope_id: scope.scope_id, public_key: delegate.publicKey, name: 'backend' });
    expect(added.result).toMatchObject({ scope_id: scope.scope_id, public_key: delegate.publicKey, name: 'backend' });
    expect(added.result?.key_id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await admin('addDelegateKey', { scope_id: scope.scope_id, public_key: delegate.publicKey })).error).toMatchObject({ code: -32047, data: 'delegate_key_exists' });
    // Ed25519 (key-signer's SHA-256 signatures cannot come from it), and junk.
    const { generateKeyPairSync } = await import('node:crypto');
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    for (const public_key of [ed25519, 'bm90IGEga2V5', 'not base64 at all']) {
      expect((await admin('addDelegateKey', { scope_id: scope.scope_id, public_key })).error?.data).toBe('invalid_params');
    }
    expect((await admin('addDelegateKey', { scope_id: '00000000-0000-4000-8000-000000000000', public_key: newDelegateKey().publicKey })).error?.data).toBe('scope_not_found');
    const listed = await admin<{ keys: { key_id: string }[] }>('listDelegateKeys', { scope_id: scope.scope_id });
    expect(listed.result?.keys.map((key) => key.key_id)).toEqual([added.result!.key_id]);
    expect((await admin('removeDelegateKey', { scope_id: scope.scope_id, key_id: added.result!.key_id })).result).toEqual({ scope_id: scope.scope_id, key_id: added.result!.key_id, removed: true });
    expect((await admin('removeDelegateKey', { scope_id: scope.scope_id, key_id: added.result!.key_id })).error?.data).toBe('delegate_key_unknown');
    const events = await harness.gateway.stores.auditLog.listAuditEvents(scope.scope_id, { limit: 100 });
    expect(events.map((event) => [event.event, event.delegate_key_id])).toEqual([
      ['delegate_key_added', added.result!.key_id],
      ['delegate_key_removed', added.result!.key_id],
    ]);
  });

  it('should do the same from the CLI: --wallet, --chain-id, --signing-window, and delegate-key add|list|remove with a key file', async () => {
    const created = await runScopeCli(['create', '--name', 'CLI', '--rp-id', 'localhost', '--origin', TEST_ORIGIN, '--wallet', 'on', '--chain-id', '1', '--chain-id', '10', '--signing-window', '60'], harness.env);
    expect(created.code).toBe(0);
    const scope = JSON.parse(created.stdout) as Scope;
    expect(scope).toMatchObject({ wallet: 'on', allowed_chain_ids: [1, 10], signing_window_s: 60 });
    const anyChain = await runScopeCli(['update', scope.scope_id, '--chain-id', 'any', '--wallet', 'off'], harness.env);
    expect(JSON.parse(anyChain.stdout)).toMatchObject({ wallet: 'off', allowed_chain_ids: null, signing_window_s: 60 });

    // A key file as key-signer's tools write it: SPKI DER.
    const delegate = newDelegateKey('secp384r1');
    const keyFile = join(dir, 'delegate_pub.der');
    writeFileSync(keyFile, Buffer.from(delegate.publicKey, 'base64'));
    const added = await runScopeCli(['delegate-key', 'add', scope.scope_id, '--public-key-file', keyFile, '--name', 'ops'], harness.env);
    expect(added.code).toBe(0);
    const key = JSON.parse(added.stdout) as { key_id: string; public_key: string };
    expect(key.public_key).toBe(delegate.publicKey);
    const again = await runScopeCli(['delegate-key', 'add', scope.scope_id, '--public-key', delegate.publicKey], harness.env);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('delegate_key_exists') as unknown]);
    expect((JSON.parse((await runScopeCli(['delegate-key', 'list', scope.scope_id], harness.env)).stdout) as { key_id: string }[]).map((k) => k.key_id)).toEqual([key.key_id]);
    // A key id is base64url and may start with "-": after "--" it is never read as an option.
    expect((await runScopeCli(['delegate-key', 'remove', scope.scope_id, '--', key.key_id], harness.env)).code).toBe(0);
    expect((await runScopeCli(['delegate-key', 'remove', scope.scope_id, '--', key.key_id], harness.env)).code).toBe(1);
    expect((await runScopeCli(['delegate-key', 'frob', scope.scope_id], harness.env)).code).toBe(2);
  });
});
