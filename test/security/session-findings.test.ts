/**
 * The findings of the session review, each through the real endpoint on both store pairs: a signed-out
 * session that could be brought back, and the smaller holes around it. Findings 9 (unknown-user
 * answers) and 11 (private files, the metrics listener) have suites of their own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { open, RpcClient, seal, type JsonRpcReply } from '../../scripts/lib/rpc-client.js';
import type { Scope } from '../../src/domain/scope.js';
import { loadConfig } from '../../src/config/config.js';
import { openStores, type Stores } from '../../src/stores/open-stores.js';
import { describeForBackends, type TestBackend } from '../support/backends.js';
import { completeAuthentication, completeRegistration, initiateAuthentication, initiateRegistration, register, sessionCall, signIn } from '../support/ceremonies.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';

const platform = (options: Partial<ConstructorParameters<typeof SoftAuthenticator>[0]> = {}) =>
  new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none', ...options });
const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
/** Every limit off unless a scope sets its own; client addresses come from X-Forwarded-For. */
const openEnv = { TRUST_PROXY_HOPS: '1', RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_USER_PER_MINUTE: '0' };

/** A JSON-RPC batch from one client (its key and scope headers), answered call by call. */
async function batch(client: RpcClient, calls: Array<{ method: string; params: unknown }>, headers: Record<string, string> = {}): Promise<JsonRpcReply[]> {
  const response = await fetch(client.url, {
    method: 'POST',
    headers: client.headers(headers),
    body: JSON.stringify(calls.map((call, id) => ({ jsonrpc: '2.0', id, ...call }))),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as JsonRpcReply[]).sort((a, b) => Number(a.id) - Number(b.id));
}

/** `count` usernameless sign-in starts from `address`, in batches of 20. */
async function flood(client: RpcClient, count: number, address: string): Promise<void> {
  for (let sent = 0; sent < count; sent += 20) {
    const calls = Array.from({ length: Math.min(20, count - sent) }, () => ({ method: 'initiateAuthentication', params: { encrypted_user: client.seal({ username: '' }) } }));
    const replies = await batch(client, calls, { 'x-forwarded-for': address });
    expect(replies.every((reply) => reply.result !== undefined)).toBe(true);
  }
}

/** Embedded stores whose in-process challenge store holds 100 ceremonies, 20 per address. */
async function smallEmbeddedStores(): Promise<{ stores: Stores; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'pkgw-flood-'));
  const stores = await openStores(loadConfig({ DATA_DIR: dir, MEMORY_CHALLENGE_LIMIT: '100', MEMORY_CHALLENGE_LIMIT_PER_IP: '20' }));
  return { stores, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describeForBackends('session review findings, through the real endpoint', (backend: TestBackend) => {
  let harness: Harness;
  let scope: Scope;
  let clock = Date.now();
  const newClient = (on = scope) => new RpcClient(harness.url, on.scope_id, harness.publicKey);

  beforeAll(async () => {
    harness = await startGateway(backend, openEnv, { now: () => clock });
    scope = await harness.createScope();
  });
  afterAll(() => harness.close());
  beforeEach(() => {
    clock = Date.now();
  });

  async function signedInUser(on = scope, authenticator = platform()) {
    const client = newClient(on);
    const username = unique('user');
    const registered = await register(client, authenticator, username);
    const session = await signIn(client, authenticator, username);
    return { client, authenticator, username, registered, session, jwt: open(client.aesKey, session) };
  }

  const verify = async (client: RpcClient, jwt: string) => client.call('verify', { jwt });

  it('finding 1: a challenge id that names a revoked session is invalid_params, and the logout holds', async () => {
    const { client, session, jwt } = await signedInUser();
    expect((await sessionCall(client, session, 'logout')).result).toEqual({ revoked: true });
    const jti = String(decodeJwt(jwt).jti);
    for (const challengeId of [`revoked-session:${jti}`, `challenge:${randomUUID()}`, `${randomUUID()} `, '../revoked-session']) {
      const completion = await client.call('completeAuthentication', { challenge_id: challengeId, encrypted_assertion: client.seal({}), encrypted_user: client.seal({ username: '' }) });
      expect(completion.error?.data).toBe('invalid_params');
      const registration = await client.call('completeRegistration', { challenge_id: challengeId, encrypted_attestation: client.seal({}), encrypted_user: client.seal({ username: 'x' }) });
      expect(registration.error?.data).toBe('invalid_params');
    }
    // The jti is a UUID, but it only ever names a revocation, never a challenge.
    const asChallenge = await client.call('completeAuthentication', { challenge_id: jti, encrypted_assertion: client.seal({}), encrypted_user: client.seal({ username: '' }) });
    expect(asChallenge.error?.data).toBe('challenge_not_found');
    expect((await sessionCall(client, session, 'getAccount')).error?.data).toBe('session_invalid');
    expect((await verify(client, jwt)).error?.data).toBe('session_invalid');
  });

  it('finding 2: a challenge id that names a rate-limit counter cannot reset it', async () => {
    const limited = await harness.createScope({ rate_limit_ip_per_minute: 10 });
    const client = newClient(limited);
    const address = '198.51.100.2';
    const from = { 'x-forwarded-for': address };
    // The counter's key under the old single key space was <prefix> + this.
    const counterKey = `ratelimit:ip:${limited.scope_id}:${address}`;
    let started = 0;
    for (let i = 0; i < 40; i += 1) {
      const reply = await client.call('initiateAuthentication', { encrypted_user: client.seal({ username: '' }) }, from);
      if (reply.error === undefined) started += 1;
      else expect(reply.error.data).toBe('rate_limited');
      const reset = await client.call('completeAuthentication', { challenge_id: counterKey, encrypted_assertion: client.seal({}) }, from);
      expect(['invalid_params', 'rate_limited']).toContain(reset.error?.data);
    }
    // Both calls count, so at most half of the ten went to initiation.
    expect(started).toBeLessThanOrEqual(5);
  });

  it('finding 3: a flood of ceremonies from one address evicts neither a revocation nor another client\'s ceremony', async () => {
    // On the embedded pair the challenge store gets small bounds (100 in all, 20 per address), so a
    // flood of 150 overflows it; Redis has no such bound.
    const small = backend === 'embedded' ? await smallEmbeddedStores() : undefined;
    const flooded = await startGateway(backend, openEnv, small === undefined ? {} : { stores: small.stores });
    try {
      const on = await flooded.createScope();
      const client = new RpcClient(flooded.url, on.scope_id, flooded.publicKey);
      const authenticator = platform();
      const username = unique('flooded');
      await register(client, authenticator, username);
      const session = await signIn(client, authenticator, username);
      const jwt = open(client.aesKey, session);
      expect((await sessionCall(client, session, 'logout')).result).toEqual({ revoked: true });
      const pending = await initiateAuthentication(client, username);

      await flood(new RpcClient(flooded.url, on.scope_id, flooded.publicKey), 150, '203.0.113.66');

      expect((await sessionCall(client, session, 'getAccount')).error?.data).toBe('session_invalid');
      expect((await client.call('verify', { jwt })).error?.data).toBe('session_invalid');
      expect((await completeAuthentication(client, pending, authenticator)).result?.encrypted_jwt).toBeDefined();
    } finally {
      await flooded.close();
      small?.cleanup();
    }
  });

  it('finding 4: deleting a passkey ends the sessions it started, and an owner can end every session', async () => {
    const owner = await signedInUser();
    // A thief with the owner's signed-in browser adds a passkey of their own and signs in with it elsewhere.
    const thiefKey = platform();
    await register(owner.client, thiefKey, owner.username, owner.session);
    const thief = newClient();
    const thiefSession = await signIn(thief, thiefKey, owner.username);
    expect((await sessionCall(thief, thiefSession, 'getAccount')).result).toMatchObject({ account_id: owner.registered.account_id });

    // The owner deletes the thief's passkey: the thief's session ends with it.
    const deleted = await sessionCall(owner.client, owner.session, 'deleteCredential', { credential_id: thiefKey.credentials[0]!.id });
    expect(deleted.result).toEqual({ credential_id: thiefKey.credentials[0]!.id, deleted: true });
    expect((await sessionCall(thief, thiefSession, 'getAccount')).error?.data).toBe('session_invalid');
    // So it can neither add a passkey nor delete the owner's.
    const adding = await thief.call('initiateRegistration', { encrypted_user: thief.seal({ username: owner.username }) }, { 'x-encrypted-session': thiefSession });
    expect(adding.error?.data).toBe('session_invalid');
    expect((await sessionCall(thief, thiefSession, 'deleteCredential', { credential_id: owner.authenticator.credentials[0]!.id })).error?.data).toBe('session_invalid');
    // A passkey registered again under the same credential id (a moment later) does not bring the
    // old sessions back.
    clock += 1000;
    const again = await initiateRegistration(owner.client, owner.username, undefined, { 'x-encrypted-session': owner.session });
    const readdedReply = await completeRegistration(owner.client, again, thiefKey, { credentialId: thiefKey.credentials[0]!.id }, undefined, { 'x-encrypted-session': owner.session });
    const readded = readdedReply.result as { account_id: string; encrypted_jwt: string };
    expect(readded.account_id).toBe(owner.registered.account_id);
    expect(thiefKey.credentials.map((credential) => credential.id)).toEqual([thiefKey.credentials[0]!.id, thiefKey.credentials[0]!.id]);
    expect((await sessionCall(thief, thiefSession, 'getAccount')).error?.data).toBe('session_invalid');

    // Whatever else leaked, the owner ends every session of the account at once.
    const other = newClient();
    const otherSession = await signIn(other, owner.authenticator, owner.username);
    expect((await sessionCall(owner.client, owner.session, 'logout', { everywhere: true })).result).toEqual({ revoked: true });
    for (const [client, session] of [[owner.client, owner.session], [other, otherSession], [owner.client, readded.encrypted_jwt]] as const) {
      expect((await sessionCall(client, session, 'getAccount')).error?.data).toBe('session_invalid');
      expect((await verify(client, open(client.aesKey, session))).error?.data).toBe('session_invalid');
    }
    // A sign-in after that (sessions carry whole seconds: the next one) works again.
    clock += 1000;
    expect((await sessionCall(other, await signIn(other, owner.authenticator, owner.username), 'getAccount')).result).toBeDefined();
  });

  it('finding 4: adding or deleting a passkey needs a sign-in within the scope\'s reauth window', async () => {
    const user = await signedInUser();
    const second = platform();
    const added = await register(user.client, second, user.username, user.session);
    clock += 301_000;
    const headers = { 'x-encrypted-session': user.session };
    const adding = await user.client.call('initiateRegistration', { encrypted_user: user.client.seal({ username: user.username }) }, headers);
    expect(adding.error).toMatchObject({ code: -32025, data: 'reauthentication_required' });
    for (const session of [user.session, added.encrypted_jwt]) {
      const deleting = await sessionCall(user.client, session, 'deleteCredential', { credential_id: second.credentials[0]!.id });
      expect(deleting.error?.data).toBe('reauthentication_required');
    }
    // Renaming and reading need no fresh sign-in.
    expect((await sessionCall(user.client, user.session, 'listCredentials')).result).toBeDefined();
    // A fresh sign-in is enough.
    const fresh = await signIn(user.client, user.authenticator, user.username);
    expect((await sessionCall(user.client, fresh, 'deleteCredential', { credential_id: second.credentials[0]!.id })).result).toMatchObject({ deleted: true });
    // A scope may give a longer window.
    const patient = await harness.createScope({ reauth_window_s: 3600 });
    const other = await signedInUser(patient);
    clock += 301_000;
    expect((await register(other.client, platform(), other.username, other.session)).account_id).toBe(other.registered.account_id);
  });

  it('finding 5: a session is accepted only under the client key it was issued to', async () => {
    const { client, session, jwt, authenticator } = await signedInUser();
    const claims = decodeJwt(jwt) as { cnf?: { jkt?: string } };
    expect(claims.cnf?.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stranger = newClient();
    const resealed = seal(stranger.aesKey, jwt);
    for (const [method, params] of [
      ['getAccount', {}],
      ['listCredentials', {}],
      ['renameCredential', { credential_id: authenticator.credentials[0]!.id, name: 'mine' }],
      ['deleteCredential', { credential_id: authenticator.credentials[0]!.id }],
      ['logout', {}],
    ] as const) {
      expect((await sessionCall(stranger, resealed, method, params)).error?.data).toBe('session_invalid');
    }
    const adding = await stranger.call('initiateRegistration', { encrypted_user: stranger.seal({ username: 'x' }) }, { 'x-encrypted-session': resealed });
    expect(adding.error?.data).toBe('session_invalid');
    // Offline verification by a relying app is unchanged, and the session still works for its client.
    const jwks = (await client.call('getJwks', {})).result as { keys: [] };
    await expect(jwtVerify(jwt, createLocalJWKSet(jwks), { audience: scope.scope_id })).resolves.toBeDefined();
    expect((await verify(client, jwt)).result).toBeDefined();
    expect((await sessionCall(client, session, 'getAccount')).result).toBeDefined();
  });

  it('finding 6: verify refuses what the gateway refuses: a disabled account, a deleted passkey\'s session', async () => {
    const user = await signedInUser();
    const second = platform();
    const added = await register(user.client, second, user.username, user.session);
    const secondJwt = open(user.client.aesKey, added.encrypted_jwt);

    await harness.gateway.stores.accounts.setAccountDisabled(user.registered.account_id, true);
    expect((await verify(user.client, user.jwt)).error?.data).toBe('account_disabled');
    expect((await sessionCall(user.client, user.session, 'getAccount')).error?.data).toBe('account_disabled');
    await harness.gateway.stores.accounts.setAccountDisabled(user.registered.account_id, false);
    expect((await verify(user.client, user.jwt)).result).toBeDefined();

    expect((await sessionCall(user.client, added.encrypted_jwt, 'deleteCredential', { credential_id: user.authenticator.credentials[0]!.id })).result).toBeDefined();
    expect((await verify(user.client, user.jwt)).error?.data).toBe('session_invalid');
    expect((await verify(user.client, secondJwt)).result).toBeDefined();
  });

  it('finding 7: a counter that drops to 0 is a regression; a counter of 0 forever is fine', async () => {
    const counting = platform();
    const user = await signedInUser(scope, counting);
    const seven = await completeAuthentication(user.client, await initiateAuthentication(user.client, user.username), counting, { counter: 7 });
    expect(seven.result).toBeDefined();
    const zero = await completeAuthentication(user.client, await initiateAuthentication(user.client, user.username), counting, { counter: 0 });
    expect(zero.error).toMatchObject({ code: -32016, data: 'counter_regression' });
    const listed = await sessionCall<{ credentials: { possibly_cloned: boolean }[] }>(user.client, user.session, 'listCredentials');
    expect(listed.result?.credentials[0]?.possibly_cloned).toBe(true);

    const synced = platform({ counterStep: 0, backupEligible: true, backedUp: true });
    const syncedUser = await signedInUser(scope, synced);
    for (let i = 0; i < 3; i += 1) expect(await signIn(syncedUser.client, synced, syncedUser.username)).toEqual(expect.any(String));
  });

  it('finding 8: the stored device type follows the backup-eligible flag, and a change is audited and up to the scope', async () => {
    const key = platform({ backupEligible: false, backedUp: false });
    const user = await signedInUser(scope, key);
    const flipped = await completeAuthentication(user.client, await initiateAuthentication(user.client, user.username), key, { backupEligible: true, backedUp: true });
    expect(flipped.result?.encrypted_jwt).toBeDefined();
    const listed = await sessionCall<{ credentials: { device_type: string; backed_up: boolean }[] }>(user.client, user.session, 'listCredentials');
    expect(listed.result?.credentials[0]).toMatchObject({ device_type: 'multiDevice', backed_up: true });
    const events = await harness.gateway.stores.auditLog.listAuditEvents(scope.scope_id, { limit: 1000 });
    expect(events.filter((event) => event.account_id === user.registered.account_id && event.event === 'credential_backup_changed').map((event) => event.reason)).toEqual([
      'be:0->1 bs:0->1',
    ]);

    // A scope that refuses the change keeps the passkey as registered.
    const strict = await harness.createScope({ backup_eligibility_change: 'refused' });
    const strictKey = platform({ backupEligible: false, backedUp: false });
    const strictUser = await signedInUser(strict, strictKey);
    const refused = await completeAuthentication(strictUser.client, await initiateAuthentication(strictUser.client, strictUser.username), strictKey, { backupEligible: true, backedUp: true });
    expect(refused.error).toMatchObject({ code: -32017, data: 'backup_eligibility_changed' });
    const kept = await sessionCall<{ credentials: { device_type: string; backed_up: boolean }[] }>(strictUser.client, strictUser.session, 'listCredentials');
    expect(kept.result?.credentials[0]).toMatchObject({ device_type: 'singleDevice', backed_up: false });
    // The backed-up flag alone may change on any scope.
    const backedUp = await completeAuthentication(strictUser.client, await initiateAuthentication(strictUser.client, strictUser.username), strictKey, { backupEligible: false, backedUp: false });
    expect(backedUp.result).toBeDefined();
  });

  it('finding 10: a junk key header costs one RSA decryption however often a batch repeats it', async () => {
    const client = newClient();
    const junk = randomBytes(256).toString('base64');
    const unwrapCacheStats = () => harness.gateway.clientKeys.stats();
    const before = unwrapCacheStats();
    const replies = await batch(client, Array.from({ length: 20 }, () => ({ method: 'getAccount', params: {} })), { 'x-encrypted-key': junk, 'x-encrypted-user': '' });
    expect(replies.map((reply) => reply.error?.data)).toEqual(Array(20).fill('envelope_invalid'));
    expect(unwrapCacheStats().misses - before.misses).toBe(1);
  });

  it('finding 10: the per-address limit comes before any RSA work, for every method that takes a client key', async () => {
    const limited = await harness.createScope({ rate_limit_ip_per_minute: 5 });
    const client = newClient(limited);
    const unwrapCacheStats = () => harness.gateway.clientKeys.stats();
    const before = unwrapCacheStats();
    const outcomes: Array<string | undefined> = [];
    for (let i = 0; i < 12; i += 1) {
      const junk = randomBytes(256).toString('base64');
      outcomes.push((await client.call('getAccount', {}, { 'x-forwarded-for': '192.0.2.10', 'x-encrypted-key': junk, 'x-encrypted-user': '' })).error?.data);
    }
    expect(outcomes).toEqual([...Array<string>(5).fill('envelope_invalid'), ...Array<string>(7).fill('rate_limited')]);
    expect(unwrapCacheStats().misses - before.misses).toBe(5);

    // Each call of a batch counts.
    const replies = await batch(client, Array.from({ length: 20 }, () => ({ method: 'initiateAuthentication', params: { encrypted_user: client.seal({ username: '' }) } })), {
      'x-forwarded-for': '192.0.2.11',
    });
    expect(replies.filter((reply) => reply.result !== undefined)).toHaveLength(5);
    expect(replies.filter((reply) => reply.error?.data === 'rate_limited')).toHaveLength(15);
  });
});

describe('session review finding 3 on the in-process challenge store', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startGateway('embedded', { ...openEnv, MEMORY_CHALLENGE_LIMIT: '100', MEMORY_CHALLENGE_LIMIT_PER_IP: '20' });
  });
  afterAll(() => harness.close());

  it('finding 3: the bound is per client address as well as overall, and evictions are counted in the metrics', async () => {
    const scope = await harness.createScope();
    const client = new RpcClient(harness.url, scope.scope_id, harness.publicKey);
    const authenticator = platform();
    const username = unique('patient');
    await register(client, authenticator, username);
    const pending = await initiateAuthentication(client, username);
    await flood(new RpcClient(harness.url, scope.scope_id, harness.publicKey), 150, '203.0.113.99');
    expect((await completeAuthentication(client, pending, authenticator)).result?.encrypted_jwt).toBeDefined();

    const metrics = await (await fetch(harness.gateway.metricsUrl!)).text();
    const value = (pattern: RegExp) => Number(metrics.split('\n').find((line) => pattern.test(line))?.split(' ').pop());
    expect(value(/^pkgw_challenge_evictions_total\{bound="owner"\}/)).toBe(130);
  });
});
