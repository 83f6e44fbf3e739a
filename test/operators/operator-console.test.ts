/**
 * The operators' console through the real endpoint on both store pairs: the operators' scope made
 * once however many gateways start, invites that register one operator each, and admin methods
 * that take an operator's session and nothing else of a scope.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { RpcClient, type JsonRpcReply } from '../../scripts/lib/rpc-client.js';
import { dropPostgresSchema, deleteRedisPrefix } from '../../scripts/lib/local-services.js';
import type { Scope } from '../../src/domain/scope.js';
import { loadConfig } from '../../src/config/config.js';
import { runOperatorCli } from '../../src/operators/operator-cli.js';
import { ensureOperatorScope, OPERATOR_REAUTH_WINDOW_S, OPERATOR_SESSION_TTL_S } from '../../src/operators/operator-scope.js';
import { loadSecret } from '../../src/keys/secret-file.js';
import { openStores } from '../../src/stores/open-stores.js';
import type { SqlDatabase } from '../../src/sql/sql-database.js';
import { statement } from '../../src/sql/statement.js';
import { databaseUrl, describeForBackends, redisUrl, type TestBackend } from '../support/backends.js';
import { completeRegistration, register, sessionCall } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import { adminCall } from '../admin/admin-rpc.js';
import { serverCall } from '../api-keys/server-rpc.js';
import { createApiKey } from '../../src/api-keys/api-keys.js';

const platform = () => new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });
const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
const consoleEnv = { ADMIN_CONSOLE: 'on', PUBLIC_ORIGIN: TEST_ORIGIN, RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_USER_PER_MINUTE: '0' };

/** A fresh data directory and, on the real backends, a fresh schema and key prefix, shared by several store openings. */
function sharedPlace(backend: TestBackend): { env: Record<string, string>; cleanup(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'pkgw-operators-'));
  const schema = `pkgw_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const prefix = `pkgw-test:${randomUUID()}:`;
  const env: Record<string, string> = {
    DATA_DIR: dir,
    ...consoleEnv,
    ...(backend === 'redis+postgres' ? { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix } : {}),
  };
  return {
    env,
    async cleanup() {
      if (backend === 'redis+postgres') {
        await dropPostgresSchema(databaseUrl, schema);
        await deleteRedisPrefix(redisUrl, prefix);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An invite link's token, as `npm run -s operator -- invite` prints it. */
async function invite(env: Record<string, string>, options: { now?: number; ttlMinutes?: number } = {}): Promise<string> {
  const argv = ['invite', ...(options.ttlMinutes === undefined ? [] : ['--ttl-minutes', String(options.ttlMinutes)])];
  const out = await runOperatorCli(argv, env, () => options.now ?? Date.now());
  expect(out.code).toBe(0);
  const link = new URL(out.stdout.trim());
  expect(`${link.origin}${link.pathname}`).toBe(`${TEST_ORIGIN}/admin`);
  const token = new URLSearchParams(link.hash.slice(1)).get('invite');
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return token!;
}

/** The first half of an operator's registration: the reply, and the started ceremony when it succeeded. */
async function initiateWithInvite(client: RpcClient, username: string, token: string | undefined) {
  const encryptedUser = client.seal({ username, userDisplayName: username });
  const reply = await client.call('initiateRegistration', { encrypted_user: encryptedUser, ...(token === undefined ? {} : { encrypted_invite: client.seal({ invite: token }) }) });
  if (reply.error !== undefined) return { reply, started: undefined };
  const { publicKey } = client.openJson<{ publicKey: Parameters<SoftAuthenticator['createCredential']>[0] }>(reply.result?.encrypted_creation_challenge);
  return { reply, started: { challengeId: String(reply.result?.challenge_id), options: publicKey, encryptedUser } };
}

describeForBackends("the operators' scope", (backend) => {
  it('should be created once when two gateways open the same stores at once, and kept at PUBLIC_ORIGIN on a later start', async () => {
    const place = sharedPlace(backend);
    try {
      const config = loadConfig(place.env);
      // Two openings of the same database: two processes as far as the database can tell.
      const [a, b] = await Promise.all([openStores(config), openStores(config)]);
      const secret = await loadSecret(config.identifierSecretFile);
      try {
        const options = { identifierSecret: secret, publicOrigin: TEST_ORIGIN };
        const made = await Promise.all([ensureOperatorScope(a.scopes, options), ensureOperatorScope(b.scopes, options), ensureOperatorScope(a.scopes, options)]);
        expect(new Set(made.map((scope) => scope.scope_id)).size).toBe(1);
        const operators = (await a.scopes.listScopes()).filter((scope) => scope.name === 'operators');
        expect(operators).toHaveLength(1);
        expect(operators[0]).toMatchObject({ rp_id: 'localhost', origins: [TEST_ORIGIN], session_ttl: OPERATOR_SESSION_TTL_S, reauth_window_s: OPERATOR_REAUTH_WINDOW_S });
      } finally {
        await Promise.all([a.close(), b.close()]);
      }

      // A gateway started later on the same stores finds it, and moves it to a new PUBLIC_ORIGIN.
      const later = await startGateway(backend, { ...place.env, PUBLIC_ORIGIN: 'https://console.example.com' });
      try {
        expect(later.gateway.operatorScopeId).not.toBeNull();
        const scopes = await later.gateway.stores.scopes.listScopes();
        expect(scopes.filter((scope) => scope.name === 'operators')).toEqual([
          expect.objectContaining({ scope_id: later.gateway.operatorScopeId, rp_id: 'console.example.com', origins: ['https://console.example.com'] }),
        ]);
      } finally {
        await later.close();
      }
    } finally {
      await place.cleanup();
    }
  });

  it('should not exist, nor the admin methods or the console page, with ADMIN_CONSOLE off and no token', async () => {
    const harness = await startGateway(backend);
    try {
      expect(harness.gateway.operatorScopeId).toBeNull();
      expect((await adminCall(harness.url, 'listScopes', {})).error).toMatchObject({ data: 'method_not_found' });
      expect((await fetch(`${harness.url}/admin`)).status).toBe(404);
    } finally {
      await harness.close();
    }
  });
});

describeForBackends('operator invites and sessions, through the real endpoint', (backend) => {
  let harness: Harness;
  let operators: Scope;
  let users: Scope;
  let clock = Date.now();
  let tokenDir: string;
  const TOKEN = randomBytes(32).toString('base64url');
  const operatorClient = () => new RpcClient(harness.url, operators.scope_id, harness.publicKey);

  /** A registered operator: its client and sealed session. */
  async function newOperator(): Promise<{ client: RpcClient; session: string; username: string; authenticator: SoftAuthenticator }> {
    const client = operatorClient();
    const authenticator = platform();
    const username = unique('op');
    const { started, reply } = await initiateWithInvite(client, username, await invite(harness.env, { now: clock }));
    expect(reply.error).toBeUndefined();
    const done = await completeRegistration(client, started!, authenticator);
    expect(done.error).toBeUndefined();
    return { client, session: String(done.result?.encrypted_jwt), username, authenticator };
  }

  beforeAll(async () => {
    tokenDir = mkdtempSync(join(tmpdir(), 'pkgw-admin-'));
    writeFileSync(join(tokenDir, 'admin-token'), TOKEN, { mode: 0o600 });
    harness = await startGateway(backend, { ...consoleEnv, ADMIN_TOKEN_FILE: join(tokenDir, 'admin-token') }, { now: () => clock });
    operators = (await harness.gateway.stores.scopes.getScope(harness.gateway.operatorScopeId!))!;
    users = await harness.createScope({ name: 'shop' });
  });
  afterAll(async () => {
    await harness.close();
    rmSync(tokenDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    clock = Date.now();
  });

  it('should register an operator with an invite, and refuse the same link a second time with invite_invalid', async () => {
    const token = await invite(harness.env, { now: clock });
    const first = operatorClient();
    const { started } = await initiateWithInvite(first, unique('op'), token);
    const done = await completeRegistration(first, started!, platform());
    expect(done.error).toBeUndefined();
    expect(done.result?.account_id).toEqual(expect.any(String));

    const second = operatorClient();
    const again = await initiateWithInvite(second, unique('op'), token);
    expect(again.reply.error).toMatchObject({ code: -32035, data: 'invite_invalid' });
  });

  it('should create one operator when two registrations race with the same link: the other completes with invite_invalid', async () => {
    const token = await invite(harness.env, { now: clock });
    const [a, b] = [operatorClient(), operatorClient()];
    const startedA = await initiateWithInvite(a, unique('op'), token);
    const startedB = await initiateWithInvite(b, unique('op'), token);
    // Both pass initiation (the link is unused until an account is created with it)…
    expect(startedA.started && startedB.started).toBeTruthy();
    const replies: JsonRpcReply[] = await Promise.all([completeRegistration(a, startedA.started!, platform()), completeRegistration(b, startedB.started!, platform())]);
    // …and one account is created with it.
    expect(replies.filter((reply) => reply.error === undefined)).toHaveLength(1);
    expect(replies.filter((reply) => reply.error !== undefined).map((reply) => reply.error?.data)).toEqual(['invite_invalid']);
  });

  it('should refuse a registration in the operators\' scope without an invite, with a made-up one and with an expired one, all alike', async () => {
    const expired = await invite(harness.env, { now: clock - 10 * 60_000, ttlMinutes: 5 });
    for (const token of [undefined, randomBytes(32).toString('base64url'), 'not a token', expired]) {
      const { reply } = await initiateWithInvite(operatorClient(), unique('op'), token);
      expect(reply.error).toMatchObject({ code: -32035, data: 'invite_invalid' });
    }
  });

  it('should take no registration token into the operators\' scope, nor give operators recovery codes', async () => {
    // Even the admin token's own token, for a new account or for an existing operator.
    const { client: opClient, session } = await newOperator();
    const me = await sessionCall<{ account_id: string; username: string }>(opClient, session, 'getAccount');
    const forNew = await adminCall<{ registration_token: string }>(harness.url, 'createRegistrationToken', { scope_id: operators.scope_id, user_id: unique('u'), username: unique('op') }, TOKEN);
    const recovery = await adminCall<{ registration_token: string }>(harness.url, 'createRecoveryToken', { scope_id: operators.scope_id, account_id: me.result!.account_id }, TOKEN);
    for (const token of [forNew.result!.registration_token, recovery.result!.registration_token]) {
      const client = operatorClient();
      const reply = await client.call('initiateRegistration', { encrypted_user: client.seal({ registration_token: token }) });
      expect(reply.error).toMatchObject({ data: 'invite_invalid' });
    }
    // An operator registers without the codes other scopes hand out with a first passkey.
    const client = operatorClient();
    const { started } = await initiateWithInvite(client, unique('op'), await invite(harness.env, { now: clock }));
    const done = await completeRegistration(client, started!, platform());
    expect(done.error).toBeUndefined();
    expect(done.result?.encrypted_recovery_codes).toBeUndefined();
    expect((await harness.gateway.stores.scopes.getScope(operators.scope_id))?.recovery_codes).toBe('off');
  });

  it('should keep only the hash of an invite in the database', async () => {
    const token = await invite(harness.env, { now: clock });
    const db = harness.gateway.stores.backends.accounts as unknown as SqlDatabase;
    const rows = await db.all(statement('all_invites', 'SELECT invite_hash, created_at, expires_at, used_at FROM operator_invites'));
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(token);
    // Each invite is in the operators' scope's audit log, written with it.
    const log = await adminCall<{ events: Array<{ event: string; reason: string; occurred_at: string }> }>(
      harness.url,
      'getAuditLog',
      { scope_id: operators.scope_id, event: 'operator_invited', limit: 1000 },
      TOKEN,
    );
    expect(log.result?.events.length).toBe(rows.length);
    expect(log.result?.events.at(-1)).toMatchObject({ event: 'operator_invited', reason: 'cli', occurred_at: new Date(clock).toISOString() });
    expect(JSON.stringify(log.result)).not.toContain(token);
  });

  it('should ignore invites in other scopes: a user registers there as before, and an invite is not used up by it', async () => {
    const token = await invite(harness.env, { now: clock });
    const client = new RpcClient(harness.url, users.scope_id, harness.publicKey);
    const { started, reply } = await initiateWithInvite(client, unique('user'), token);
    expect(reply.error).toBeUndefined();
    expect((await completeRegistration(client, started!, platform())).error).toBeUndefined();
    const { reply: operatorReply } = await initiateWithInvite(operatorClient(), unique('op'), token);
    expect(operatorReply.error).toBeUndefined();
  });

  it('should answer admin methods to an operator session with a sealed result, and audit what the operator did', async () => {
    const { client, session } = await newOperator();
    const listed = await sessionCall<{ scopes: Scope[] }>(client, session, 'listScopes', {});
    expect(listed.result?.scopes.map((scope) => scope.scope_id)).toEqual(expect.arrayContaining([operators.scope_id, users.scope_id]));

    const userName = unique('user');
    const user = await register(new RpcClient(harness.url, users.scope_id, harness.publicKey), platform(), userName);
    const disabled = await sessionCall(client, session, 'disableAccount', { scope_id: users.scope_id, username: userName });
    expect(disabled.result).toEqual({ account_id: user.account_id, scope_id: users.scope_id, disabled: true });
    const log = await sessionCall<{ events: Array<{ event: string; account_id: string }> }>(client, session, 'getAuditLog', {
      scope_id: users.scope_id,
      event: 'account_disabled',
      account_id: user.account_id,
    });
    // Who did it: an operator (the admin token's changes say admin).
    expect(log.result?.events).toEqual([expect.objectContaining({ event: 'account_disabled', account_id: user.account_id, reason: 'operator' })]);
    await adminCall(harness.url, 'enableAccount', { scope_id: users.scope_id, account_id: user.account_id }, TOKEN);
    const enabled = await adminCall<{ events: Array<{ reason: string }> }>(harness.url, 'getAuditLog', { scope_id: users.scope_id, event: 'account_enabled', account_id: user.account_id }, TOKEN);
    expect(enabled.result?.events).toEqual([expect.objectContaining({ reason: 'admin' })]);
  });

  it('should want a recent sign-in for changes but not for reads, and end the console session after its short TTL', async () => {
    const { client, session } = await newOperator();
    const userName = unique('user');
    await register(new RpcClient(harness.url, users.scope_id, harness.publicKey), platform(), userName);
    clock += (OPERATOR_REAUTH_WINDOW_S + 1) * 1000;
    expect((await sessionCall(client, session, 'disableAccount', { scope_id: users.scope_id, username: userName })).error).toMatchObject({ data: 'reauthentication_required' });
    expect((await sessionCall(client, session, 'listScopes', {})).result).toBeDefined();
    clock += OPERATOR_SESSION_TTL_S * 1000;
    expect((await sessionCall(client, session, 'listScopes', {})).error).toMatchObject({ data: 'session_invalid' });
  });

  it('should refuse admin methods to a session of any other scope, whichever scope id it names', async () => {
    const userClient = new RpcClient(harness.url, users.scope_id, harness.publicKey);
    const { encrypted_jwt: userSession } = await register(userClient, platform(), unique('user'));
    // Its own scope: refused before the session is even opened.
    expect((await sessionCall(userClient, userSession, 'listScopes', {})).error).toMatchObject({ code: -32030, data: 'admin_unauthorized' });
    // Naming the operators' scope: the session is bound to its own scope and client key.
    const asOperator = await userClient.call('listScopes', {}, { 'x-scope-id': operators.scope_id, 'x-encrypted-session': userSession });
    expect(asOperator.error).toMatchObject({ data: 'session_invalid' });
    expect(asOperator.result).toBeUndefined();
    // No session, or no scope at all.
    expect((await operatorClient().call('listScopes', {})).error).toMatchObject({ data: 'admin_unauthorized' });
    expect((await adminCall(harness.url, 'listScopes', {})).error).toMatchObject({ data: 'admin_unauthorized' });
  });

  it('should judge a call with an Authorization header by the token alone, even with an operator session', async () => {
    const { client, session } = await newOperator();
    const wrong = await client.call('listScopes', {}, { 'x-encrypted-session': session, authorization: `Bearer ${TOKEN}x` });
    expect(wrong.error).toMatchObject({ data: 'admin_unauthorized' });
    const right = await adminCall<{ scopes: Scope[] }>(harness.url, 'listScopes', {}, TOKEN);
    expect(right.result?.scopes.length).toBeGreaterThan(1);
  });

  it('should let an operator session call server methods with scope_id, audited as the operator, and refuse other scopes\' sessions', async () => {
    const { client, session } = await newOperator();
    const name = unique('user');
    const userClient = new RpcClient(harness.url, users.scope_id, harness.publicKey);
    const user = await register(userClient, platform(), name);
    const page = await sessionCall<{ accounts: Array<{ account_id: string }> }>(client, session, 'listAccounts', { scope_id: users.scope_id, username_prefix: name });
    expect(page.result?.accounts.map((account) => account.account_id)).toEqual([user.account_id]);
    expect((await sessionCall(client, session, 'listAccounts', {})).error).toMatchObject({ data: 'invalid_params' });

    // An app user's session never reaches a server method, whichever scope it names.
    expect((await sessionCall(userClient, user.encrypted_jwt, 'listAccounts', { scope_id: users.scope_id })).error).toMatchObject({ code: -32031, data: 'unauthorized' });
    const asOperator = await userClient.call('listAccounts', { scope_id: users.scope_id }, { 'x-scope-id': operators.scope_id, 'x-encrypted-session': user.encrypted_jwt });
    expect(asOperator.error).toMatchObject({ data: 'session_invalid' });

    // Changes want a recent sign-in; reads do not.
    clock += (OPERATOR_REAUTH_WINDOW_S + 1) * 1000;
    expect((await sessionCall(client, session, 'deleteAccount', { scope_id: users.scope_id, account_id: user.account_id })).error).toMatchObject({ data: 'reauthentication_required' });
    expect((await sessionCall(client, session, 'findAccount', { scope_id: users.scope_id, account_id: user.account_id })).result).toMatchObject({ account_id: user.account_id });
    clock -= (OPERATOR_REAUTH_WINDOW_S + 1) * 1000;

    const deleted = await sessionCall(client, session, 'deleteAccount', { scope_id: users.scope_id, account_id: user.account_id });
    expect(deleted.result).toEqual({ account_id: user.account_id, scope_id: users.scope_id, deleted: true });
    const log = await sessionCall<{ events: Array<{ event: string; reason: string | null }> }>(client, session, 'getAuditLog', { scope_id: users.scope_id, event: 'account_deleted', account_id: user.account_id });
    expect(log.result?.events).toEqual([expect.objectContaining({ event: 'account_deleted', reason: 'operator' })]);
  });

  it("should keep the operators' scope out of updateScope, addDelegateKey and createApiKey (scope_reserved)", async () => {
    const { client, session } = await newOperator();
    const update = await sessionCall(client, session, 'updateScope', { scope_id: operators.scope_id, origins: ['https://evil.example'] });
    expect(update.error).toMatchObject({ code: -32036, data: 'scope_reserved' });
    const byToken = await adminCall(harness.url, 'updateScope', { scope_id: operators.scope_id, session_ttl: 86_400 }, TOKEN);
    expect(byToken.error).toMatchObject({ data: 'scope_reserved' });
    const key = await adminCall(harness.url, 'addDelegateKey', { scope_id: operators.scope_id, public_key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE' }, TOKEN);
    expect(key.error).toMatchObject({ data: 'scope_reserved' });
    const apiKey = await sessionCall(client, session, 'createApiKey', { scope_id: operators.scope_id, name: 'backdoor' });
    expect(apiKey.error).toMatchObject({ data: 'scope_reserved' });
    expect((await harness.gateway.stores.scopes.getScope(operators.scope_id))?.origins).toEqual([TEST_ORIGIN]);
  });

  it("should let no API key act for the operators' scope, even one written to the store directly (as the scope CLI can)", async () => {
    await newOperator();
    const { secret } = await createApiKey(harness.gateway.stores.apiKeys, { scopeId: operators.scope_id, name: 'written directly', now: clock });
    for (const [method, params] of [['listAccounts', {}], ['deleteAccount', { username: 'anyone' }], ['createSignInToken', { user_id: 'anyone' }]] as const) {
      expect((await serverCall(harness.url, method, params, secret)).error?.data).toBe('unauthorized');
    }
  });
});

describe('npm run operator', () => {
  it('should print usage with exit code 2 for no command, an unknown one and a --ttl-minutes out of bounds, and write nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pkgw-operator-cli-'));
    try {
      const env = { DATA_DIR: dir };
      for (const argv of [[], ['revoke'], ['invite', '--ttl-minutes', '0'], ['invite', '--ttl-minutes', '10081'], ['invite', '--ttl-minutes', 'soon'], ['invite', '--bogus']]) {
        const out = await runOperatorCli(argv, env);
        expect({ argv, code: out.code, stdout: out.stdout }).toEqual({ argv, code: 2, stdout: '' });
        expect(out.stderr).toMatch(/usage: npm run -s operator|--ttl-minutes/);
      }
      expect((await runOperatorCli(['invite'], { ...env, PUBLIC_ORIGIN: 'not an origin' })).code).toBe(2);
      // ADMIN_CONSOLE off: the link is printed, with a note that the gateway will not serve it as configured.
      const off = await runOperatorCli(['invite'], env);
      expect(off.code).toBe(0);
      expect(off.stdout).toMatch(/^http:\/\/localhost:9545\/admin#invite=[A-Za-z0-9_-]{43}\n$/);
      expect(off.stderr).toContain('ADMIN_CONSOLE is off');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
