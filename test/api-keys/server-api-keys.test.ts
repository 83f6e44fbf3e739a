import { createHash, randomUUID } from 'node:crypto';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { runScopeCli } from '../../src/scopes/scope-cli.js';
import { adminCall } from '../admin/admin-rpc.js';
import { describeForBackends } from '../support/backends.js';
import { register, sessionCall, signIn } from '../support/ceremonies.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { match } from '../support/match.js';
import { createKey, serverCall, startWithAdminToken } from './server-rpc.js';

const platform = () => new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });
const UNAUTHORIZED = { code: -32031, message: 'Bearer API key or admin token missing, wrong or revoked', data: 'unauthorized' };

describeForBackends('server API keys', (backend) => {
  let harness: Harness;
  let token: string;
  let started: Awaited<ReturnType<typeof startWithAdminToken>>;
  beforeAll(async () => {
    started = await startWithAdminToken(backend, { RATE_LIMIT_API_KEY_PER_MINUTE: '40' });
    ({ harness, token } = started);
  });
  afterAll(() => started.close());

  /** A scope with one account signed in; its username, account id, client and session. */
  const signedInAccount = async (scopeId: string) => {
    const client = new RpcClient(harness.url, scopeId, harness.publicKey);
    const authenticator = platform();
    const username = `user-${randomUUID().slice(0, 8)}`;
    const { account_id } = await register(client, authenticator, username);
    return { username, account_id, client, authenticator, session: await signIn(client, authenticator, username) };
  };

  it('should show a new key once, as pgk_ and 43 base64url characters, and keep only its SHA-256', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const created = await adminCall<Record<string, unknown>>(harness.url, 'createApiKey', { scope_id: scopeId, name: 'orders service' }, token);
    expect(created.result).toEqual({ key_id: match.stringMatching(/^[0-9a-f-]{36}$/), scope_id: scopeId, name: 'orders service', created_at: match.any(String), revoked_at: null, secret: match.stringMatching(/^pgk_[A-Za-z0-9_-]{43}$/) });
    const secret = String(created.result!.secret);

    const listed = await adminCall<{ keys: Record<string, unknown>[] }>(harness.url, 'listApiKeys', { scope_id: scopeId }, token);
    expect(listed.result!.keys).toEqual([{ key_id: created.result!.key_id, scope_id: scopeId, name: 'orders service', created_at: created.result!.created_at, revoked_at: null }]);
    expect(JSON.stringify(listed)).not.toContain(secret.slice(4));
    const [stored] = await harness.gateway.stores.apiKeys.listApiKeys(scopeId);
    expect(stored!.secret_hash).toBe(createHash('sha256').update(secret).digest('base64url'));
    expect(JSON.stringify(stored)).not.toContain(secret.slice(4));

    const events = await harness.gateway.stores.auditLog.listAuditEvents(scopeId, { limit: 10 });
    expect(events).toEqual([expect.objectContaining({ event: 'api_key_created', api_key_id: created.result!.key_id, reason: 'admin' })]);
  });

  it("should let a key act in its own scope without naming it, or naming it", async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const { secret, key_id } = await createKey(harness.url, token, scopeId);
    const { username, account_id, client, session } = await signedInAccount(scopeId);

    expect((await serverCall(harness.url, 'revokeSessions', { username }, secret)).result).toEqual({ account_id, scope_id: scopeId, sessions_revoked: true });
    expect((await serverCall(harness.url, 'revokeSessions', { scope_id: scopeId.toUpperCase(), account_id }, secret)).result).toEqual({ account_id, scope_id: scopeId, sessions_revoked: true });
    expect((await sessionCall(client, session, 'getAccount')).error?.data).toBe('session_invalid');
    const events = await harness.gateway.stores.auditLog.listAuditEvents(scopeId, { limit: 100 });
    expect(events.filter((event) => event.event === 'sessions_revoked')).toEqual([
      expect.objectContaining({ account_id, reason: 'api_key', api_key_id: key_id }),
      expect.objectContaining({ account_id, reason: 'api_key', api_key_id: key_id }),
    ]);
  });

  it("should refuse a key naming another scope with scope_mismatch, audited in the key's scope, and never find another scope's accounts", async () => {
    const [a, b] = [(await harness.createScope()).scope_id, (await harness.createScope()).scope_id];
    const { secret, key_id } = await createKey(harness.url, token, a);
    const victim = await signedInAccount(b);

    const mismatch = await serverCall(harness.url, 'revokeSessions', { scope_id: b, account_id: victim.account_id }, secret);
    expect(mismatch.error).toEqual({ code: -32032, message: 'This API key belongs to another scope', data: 'scope_mismatch' });
    // Naming no scope, the key acts in its own: the other scope's account is not there.
    expect((await serverCall(harness.url, 'revokeSessions', { account_id: victim.account_id }, secret)).error?.data).toBe('account_not_found');
    expect((await serverCall(harness.url, 'revokeSessions', { username: victim.username }, secret)).error?.data).toBe('account_not_found');
    expect((await sessionCall(victim.client, victim.session, 'getAccount')).result).toMatchObject({ account_id: victim.account_id });

    const inA = await harness.gateway.stores.auditLog.listAuditEvents(a, { limit: 100 });
    expect(inA.filter((event) => event.event === 'api_key_scope_mismatch')).toEqual([expect.objectContaining({ api_key_id: key_id, reason: b })]);
    expect((await harness.gateway.stores.auditLog.listAuditEvents(b, { limit: 100 })).filter((event) => event.event !== 'registration' && event.event !== 'sign_in_succeeded')).toEqual([]);
  });

  it('should answer one opaque unauthorized for a missing, malformed, unknown or revoked key and a wrong admin token', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const { secret, key_id } = await createKey(harness.url, token, scopeId);
    const { account_id } = await signedInAccount(scopeId);
    const call = (bearer?: string) => serverCall(harness.url, 'revokeSessions', { scope_id: scopeId, account_id }, bearer);
    expect((await call(secret)).result).toBeDefined();

    const unknown = `pgk_${'A'.repeat(43)}`;
    for (const bearer of [undefined, '', unknown, `${secret}x`, secret.slice(0, -1), 'pgk_', `${token}x`, secret.toUpperCase()]) {
      expect((await call(bearer)).error).toEqual(UNAUTHORIZED);
    }
    expect((await adminCall(harness.url, 'revokeApiKey', { scope_id: scopeId, key_id }, token)).result).toEqual({ scope_id: scopeId, key_id, revoked_at: match.any(String) });
    expect((await call(secret)).error).toEqual(UNAUTHORIZED);
    // Revoked once and for all: a second revocation finds no working key.
    expect((await adminCall(harness.url, 'revokeApiKey', { scope_id: scopeId, key_id }, token)).error?.data).toBe('api_key_not_found');
    const listed = await adminCall<{ keys: { revoked_at: string | null }[] }>(harness.url, 'listApiKeys', { scope_id: scopeId }, token);
    expect(listed.result!.keys[0]!.revoked_at).toEqual(match.any(String));
    const events = await harness.gateway.stores.auditLog.listAuditEvents(scopeId, { limit: 100 });
    expect(events.filter((event) => event.event === 'api_key_revoked')).toEqual([expect.objectContaining({ api_key_id: key_id, reason: 'admin' })]);
  });

  it('should not let a key revoke or list keys of another scope, nor call admin methods at all', async () => {
    const [a, b] = [(await harness.createScope()).scope_id, (await harness.createScope()).scope_id];
    const inA = await createKey(harness.url, token, a);
    expect((await adminCall(harness.url, 'revokeApiKey', { scope_id: b, key_id: inA.key_id }, token)).error?.data).toBe('api_key_not_found');
    expect((await serverCall(harness.url, 'revokeSessions', { account_id: randomUUID() }, inA.secret)).error?.data).toBe('account_not_found');
    for (const [method, params] of [['listApiKeys', { scope_id: a }], ['createApiKey', { scope_id: a, name: 'more' }], ['revokeApiKey', { scope_id: a, key_id: inA.key_id }], ['listScopes', {}]] as const) {
      expect((await adminCall(harness.url, method, params, inA.secret)).error?.data).toBe('admin_unauthorized');
    }
  });

  it('should take the admin token on server methods, with scope_id required', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const { account_id } = await signedInAccount(scopeId);
    expect((await serverCall(harness.url, 'revokeSessions', { account_id }, token)).error?.data).toBe('invalid_params');
    expect((await serverCall(harness.url, 'revokeSessions', { scope_id: randomUUID(), account_id }, token)).error?.data).toBe('scope_not_found');
    expect((await serverCall(harness.url, 'revokeSessions', { scope_id: scopeId, account_id }, token)).result).toMatchObject({ account_id });
    const events = await harness.gateway.stores.auditLog.listAuditEvents(scopeId, { limit: 100 });
    expect(events.filter((event) => event.event === 'sessions_revoked')).toEqual([expect.objectContaining({ reason: 'admin', api_key_id: null })]);
  });

  it('should refuse invalid key requests: unknown scope, bad names, more keys than the limit', async () => {
    expect((await adminCall(harness.url, 'createApiKey', { scope_id: randomUUID(), name: 'x' }, token)).error?.data).toBe('scope_not_found');
    const scopeId = (await harness.createScope()).scope_id;
    for (const name of ['', '   ', 'x'.repeat(101), 'bell\u0007', 'new\nline']) expect((await adminCall(harness.url, 'createApiKey', { scope_id: scopeId, name }, token)).error?.data).toBe('invalid_params');
    expect((await adminCall(harness.url, 'revokeApiKey', { scope_id: scopeId, key_id: 'not-a-uuid' }, token)).error?.data).toBe('invalid_params');
    for (let n = 0; n < 20; n += 1) await createKey(harness.url, token, scopeId, `key ${n}`);
    expect((await adminCall(harness.url, 'createApiKey', { scope_id: scopeId, name: 'one too many' }, token)).error?.data).toBe('too_many_api_keys');
  });

  it('should rate limit each key on its own', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const [first, second] = [await createKey(harness.url, token, scopeId), await createKey(harness.url, token, scopeId)];
    const call = (secret: string) => serverCall(harness.url, 'revokeSessions', { account_id: randomUUID() }, secret);
    // RATE_LIMIT_API_KEY_PER_MINUTE is 40 here: the 41st call within the minute is refused.
    for (let n = 0; n < 40; n += 1) expect((await call(first.secret)).error?.data).toBe('account_not_found');
    expect((await call(first.secret)).error?.data).toBe('rate_limited');
    expect((await call(second.secret)).error?.data).toBe('account_not_found');
  });

  it('should create, list and revoke keys with the scope CLI, the secret printed once', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const created = await runScopeCli(['api-key', 'create', '--scope', scopeId, '--name', 'cli key'], harness.env);
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/shown this once/);
    const key = JSON.parse(created.stdout) as { key_id: string; secret: string };
    expect(key).toMatchObject({ scope_id: scopeId, name: 'cli key', revoked_at: null, secret: match.stringMatching(/^pgk_[A-Za-z0-9_-]{43}$/) });
    const { account_id } = await signedInAccount(scopeId);
    expect((await serverCall(harness.url, 'revokeSessions', { account_id }, key.secret)).result).toMatchObject({ account_id });

    const listed = await runScopeCli(['api-key', 'list', '--scope', scopeId], harness.env);
    expect(JSON.parse(listed.stdout)).toEqual([{ key_id: key.key_id, scope_id: scopeId, name: 'cli key', created_at: match.any(String), revoked_at: null }]);
    expect(listed.stdout).not.toContain(key.secret.slice(4));

    expect((await runScopeCli(['api-key', 'revoke', '--scope', scopeId, key.key_id], harness.env)).code).toBe(0);
    expect((await serverCall(harness.url, 'revokeSessions', { account_id }, key.secret)).error).toEqual(UNAUTHORIZED);
    expect((await runScopeCli(['api-key', 'revoke', '--scope', scopeId, key.key_id], harness.env)).stderr).toMatch(/api_key_not_found/);
    expect((await runScopeCli(['api-key', 'create', '--name', 'no scope'], harness.env)).code).toBe(2);
    expect((await runScopeCli(['api-key', 'create', '--scope', scopeId], harness.env)).code).toBe(2);
    const events = await harness.gateway.stores.auditLog.listAuditEvents(scopeId, { limit: 100 });
    expect(events.filter((event) => event.event.startsWith('api_key_')).map((event) => [event.event, event.reason, event.api_key_id])).toEqual([
      ['api_key_created', 'cli', key.key_id],
      ['api_key_revoked', 'cli', key.key_id],
    ]);
  });
});

describe('server methods without ADMIN_TOKEN_FILE', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startGateway('embedded');
  });
  afterAll(() => harness.close());

  it('should exist and take API keys, with no admin token to fall back on', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const created = await runScopeCli(['api-key', 'create', '--scope', scopeId, '--name', 'k'], harness.env);
    const { secret } = JSON.parse(created.stdout) as { secret: string };
    expect((await serverCall(harness.url, 'revokeSessions', { account_id: randomUUID() }, secret)).error?.data).toBe('account_not_found');
    for (const bearer of [undefined, 'anything-at-all-that-is-long-enough-to-be-a-token']) {
      expect((await serverCall(harness.url, 'revokeSessions', { scope_id: scopeId, account_id: randomUUID() }, bearer)).error).toEqual(UNAUTHORIZED);
    }
    // The admin methods that manage keys do not exist here.
    expect((await adminCall(harness.url, 'createApiKey', { scope_id: scopeId, name: 'x' }, secret)).error?.data).toBe('method_not_found');
  });
});
