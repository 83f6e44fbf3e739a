// Gateway processes keep no state of their own: two gateways sharing one Redis, one PostgreSQL
// and the same key files finish each other's ceremonies and accept each other's sessions.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { databaseUrl, describeWithRedisAndPostgres, redisUrl } from '../support/backends.js';
import { completeRegistration, initiateRegistration, sessionCall, signIn } from '../support/ceremonies.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { deleteRedisPrefix, dropPostgresSchema } from '../../scripts/lib/local-services.js';
import { runScopeCli } from '../../src/scopes/scope-cli.js';
import { serverCall } from '../api-keys/server-rpc.js';
import { finishRegistration, startTokenRegistration } from '../support/token-ceremonies.js';

/** The same client (same AES key, same wrapped-key header) pointed at another gateway. */
function sameClientAt(client: RpcClient, url: string): RpcClient {
  return Object.create(client, { url: { value: url } }) as RpcClient;
}

describeWithRedisAndPostgres('two gateways on shared Redis and PostgreSQL', () => {
  const run = randomUUID().replaceAll('-', '').slice(0, 16);
  const shared = {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'pkgw-scale-')),
    REDIS_KEY_PREFIX: `pkgw-test:${run}:`,
    DATABASE_SCHEMA: `pkgw_test_scale_${run}`,
  };
  let a: Harness;
  let b: Harness;

  beforeAll(async () => {
    // A first, so keys, migrations and secrets exist before B reads them.
    a = await startGateway('redis+postgres', shared);
    b = await startGateway('redis+postgres', shared);
  });

  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
    // Again after both have closed: whichever closed first dropped them while the other still wrote.
    await dropPostgresSchema(databaseUrl, shared.DATABASE_SCHEMA);
    await deleteRedisPrefix(redisUrl, shared.REDIS_KEY_PREFIX);
    rmSync(shared.DATA_DIR, { recursive: true, force: true });
  });

  test('both gateways listen on their own port and publish the same encryption key', () => {
    expect(a.url).not.toBe(b.url);
    expect(b.publicKey).toBe(a.publicKey);
  });

  test('initiate on A, complete on B, sign in on B, manage on A, sign out on B', async () => {
    const scope = await a.createScope();
    await b.gateway.scopes.refresh();
    const onA = new RpcClient(a.url, scope.scope_id, a.publicKey);
    const onB = sameClientAt(onA, b.url);
    const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
    const username = `scale-${run}`;

    const started = await initiateRegistration(onA, username);
    const registered = await completeRegistration(onB, started, authenticator);
    expect(registered.error).toBeUndefined();
    const accountId = String(registered.result?.account_id);

    const session = await signIn(onB, authenticator, username);
    const account = await sessionCall<{ account_id: string; username: string }>(onA, session, 'getAccount');
    expect(account.result).toMatchObject({ account_id: accountId, username });

    const listed = await sessionCall<{ credentials: { credential_id: string }[] }>(onA, session, 'listCredentials');
    const credentialId = listed.result?.credentials[0]?.credential_id;
    expect(credentialId).toBeDefined();
    const renamed = await sessionCall(onA, session, 'renameCredential', { credential_id: credentialId, name: 'laptop' });
    expect(renamed.result).toMatchObject({ name: 'laptop' });

    // A revocation recorded by B is honoured by A.
    expect((await sessionCall(onB, session, 'logout')).result).toEqual({ revoked: true });
    expect((await sessionCall(onA, session, 'getAccount')).error?.data).toBe('session_invalid');
  });

  test('a challenge consumed on one gateway cannot be completed on the other', async () => {
    const scope = await a.createScope();
    await b.gateway.scopes.refresh();
    const onA = new RpcClient(a.url, scope.scope_id, a.publicKey);
    const onB = sameClientAt(onA, b.url);
    const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
    const started = await initiateRegistration(onB, `once-${run}`);
    expect((await completeRegistration(onA, started, authenticator)).error).toBeUndefined();
    expect((await completeRegistration(onB, started, authenticator)).error?.data).toBe('challenge_not_found');
  });

  test('a registration token started on both gateways and completed on both at once registers one passkey', async () => {
    const scope = await a.createScope();
    await b.gateway.scopes.refresh();
    const created = await runScopeCli(['api-key', 'create', '--scope', scope.scope_id, '--name', 'tokens'], a.env);
    const key = JSON.parse(created.stdout) as { secret: string };
    const userId = `app-${run}`;
    const token = (await serverCall<{ registration_token: string }>(a.url, 'createRegistrationToken', { user_id: userId }, key.secret)).result!.registration_token;
    const onA = new RpcClient(a.url, scope.scope_id, a.publicKey);
    const onB = sameClientAt(onA, b.url);
    const device = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
    const viaA = await startTokenRegistration(onA, { registration_token: token });
    const viaB = await startTokenRegistration(onB, { registration_token: token });
    const outcomes = await Promise.all([finishRegistration(onB, viaA, device), finishRegistration(onA, viaB, new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' }))]);
    expect(outcomes.map((reply) => reply.error?.data ?? 'ok').sort()).toEqual(['ok', 'token_invalid']);
    const account = await a.gateway.stores.accounts.findAccountByUserId(scope.scope_id, userId);
    expect(await a.gateway.stores.accounts.listCredentials(account!.account_id)).toHaveLength(1);
  });

  test('an API key revoked on one gateway is refused by the other at once; an account deleted through it ends its sessions there', async () => {
    const scope = await a.createScope();
    await b.gateway.scopes.refresh();
    const created = await runScopeCli(['api-key', 'create', '--scope', scope.scope_id, '--name', 'shared'], a.env);
    const key = JSON.parse(created.stdout) as { key_id: string; secret: string };
    const onA = new RpcClient(a.url, scope.scope_id, a.publicKey);
    const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
    const username = `deleted-${run}`;
    const registered = await completeRegistration(onA, await initiateRegistration(onA, username), authenticator);
    const accountId = String(registered.result?.account_id);
    const session = await signIn(onA, authenticator, username);

    expect((await serverCall(b.url, 'deleteAccount', { account_id: accountId }, key.secret)).result).toMatchObject({ deleted: true });
    expect((await sessionCall(onA, session, 'getAccount')).error?.data).toBe('session_invalid');

    expect((await serverCall(a.url, 'listAccounts', {}, key.secret)).result).toEqual({ accounts: [], next_cursor: null });
    expect((await runScopeCli(['api-key', 'revoke', '--scope', scope.scope_id, key.key_id], b.env)).code).toBe(0);
    expect((await serverCall(a.url, 'listAccounts', {}, key.secret)).error?.data).toBe('unauthorized');
  });
});
