/**
 * passkey-gateway/server against a real gateway on both store pairs: what an app backend does with
 * it (tokens for its users' ceremonies, verifySignIn, account lifecycle, operator recovery), and the
 * typed errors it relies on, each carrying the gateway's machine-readable reason.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { errorTable } from '../../src/errors/gateway-error.js';
import { GatewayServer, GatewayServerError, type ServerFetch } from '../../src/server/index.js';
import { open, RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { createKey } from '../api-keys/server-rpc.js';
import { describeForBackends } from '../support/backends.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';

const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

async function reasonOf(promise: Promise<unknown>): Promise<GatewayServerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayServerError);
  return error as GatewayServerError;
}

describeForBackends('passkey-gateway/server', (backend) => {
  let harness: Harness;
  let adminToken: string;
  let tokenDir: string;
  let scopeId: string;
  let otherScopeId: string;
  let apiKey: string;
  let otherKey: string;
  let server: GatewayServer;

  beforeAll(async () => {
    adminToken = randomBytes(32).toString('base64url');
    tokenDir = mkdtempSync(join(tmpdir(), 'pkgw-helper-'));
    writeFileSync(join(tokenDir, 'admin-token'), adminToken, { mode: 0o600 });
    harness = await startGateway(backend, { DEMO: 'off', ADMIN_TOKEN_FILE: join(tokenDir, 'admin-token'), RATE_LIMIT_USER_PER_MINUTE: '0' });
    scopeId = (await harness.createScope()).scope_id;
    otherScopeId = (await harness.createScope()).scope_id;
    apiKey = (await createKey(harness.url, adminToken, scopeId)).secret;
    otherKey = (await createKey(harness.url, adminToken, otherScopeId)).secret;
    server = new GatewayServer({ url: harness.url, scopeId, apiKey });
  });
  afterAll(async () => {
    await harness?.close();
    rmSync(tokenDir, { recursive: true, force: true });
  });

  /** What the browser does with a registration token (as the client library sends it), through the protocol. */
  async function registerWith(client: RpcClient, device: SoftAuthenticator, user: Record<string, unknown>) {
    const encryptedUser = client.seal(user);
    const started = await client.call('initiateRegistration', { encrypted_user: encryptedUser });
    if (started.error !== undefined) throw new GatewayServerError(String(started.error.data), 'initiateRegistration');
    const { publicKey } = client.openJson<{ publicKey: PublicKeyCredentialCreationOptionsJSON }>(started.result?.encrypted_creation_challenge);
    const done = await client.call('completeRegistration', { challenge_id: started.result?.challenge_id, encrypted_attestation: client.seal(device.createCredential(publicKey, TEST_ORIGIN)), encrypted_user: encryptedUser });
    if (done.error !== undefined) throw new GatewayServerError(String(done.error.data), 'completeRegistration');
    return done.result as { account_id: string; user_id: string | null; encrypted_jwt: string; encrypted_recovery_codes?: string };
  }

  /** A sign-in as the browser makes it; the session JWT and the sign-in token it hands the app's backend. */
  async function signInWith(client: RpcClient, device: SoftAuthenticator, user: Record<string, unknown>): Promise<{ jwt: string; signInToken: string }> {
    const encryptedUser = client.seal(user);
    const started = await client.call('initiateAuthentication', { encrypted_user: encryptedUser, regenerate_seed: false });
    const { publicKey } = client.openJson<{ publicKey: PublicKeyCredentialRequestOptionsJSON }>(started.result?.encrypted_request_challenge);
    const done = await client.call('completeAuthentication', { challenge_id: started.result?.challenge_id, encrypted_assertion: client.seal(device.getAssertion(publicKey, TEST_ORIGIN)), encrypted_user: encryptedUser });
    if (done.error !== undefined) throw new Error(`completeAuthentication: ${done.error.data}`);
    return { jwt: open(client.aesKey, String(done.result?.encrypted_jwt)), signInToken: open(client.aesKey, String(done.result?.encrypted_sign_in_token)) };
  }

  const newClient = () => new RpcClient(harness.url, scopeId, harness.publicKey, TEST_ORIGIN);
  const newDevice = () => new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });

  it("should register a passkey for the app's user id with a registration token, and tell the app who signed in with verifySignIn, once", async () => {
    const userId = unique('u');
    const username = unique('name');
    const { registration_token, expires_at } = await server.createRegistrationToken({ user_id: userId, username, display_name: 'Ada' });
    expect(Date.parse(expires_at)).toBeGreaterThan(Date.now());
    const client = newClient();
    const device = newDevice();
    const registered = await registerWith(client, device, { registration_token, device_name: 'Work laptop' });
    expect(registered.user_id).toBe(userId);

    const { jwt, signInToken } = await signInWith(client, device, { username });
    const signIn = await server.verifySignIn(signInToken);
    expect(signIn).toMatchObject({ user_id: userId, account_id: registered.account_id, user_verified: true, second_factor: false });
    expect(signIn.credential_id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Math.abs(Date.parse(signIn.signed_in_at) - Date.now())).toBeLessThan(60_000);
    expect(await server.verifySession(jwt)).toMatchObject({ account_id: registered.account_id, user_id: userId, second_factor: false });

    // Single use: a replayed token gets the gateway's reason and code.
    const replay = await reasonOf(server.verifySignIn(signInToken));
    expect(replay).toMatchObject({ reason: 'token_invalid', code: errorTable.token_invalid.code, method: 'verifySignIn' });
  });

  it('should run a second factor: a sign-in token for the user, a sign-in marked second_factor, and a session refused as a primary one unless asked for', async () => {
    const userId = unique('u');
    const device = newDevice();
    const registered = await registerWith(newClient(), device, { registration_token: (await server.createRegistrationToken({ user_id: userId, purpose: 'second_factor' })).registration_token });
    const { sign_in_token } = await server.createSignInToken({ user_id: userId });
    const { jwt, signInToken } = await signInWith(newClient(), device, { sign_in_token });
    expect(await server.verifySignIn(signInToken)).toMatchObject({ user_id: userId, account_id: registered.account_id, second_factor: true });
    expect((await reasonOf(server.verifySession(jwt))).reason).toBe('session_invalid');
    expect(await server.verifySession(jwt, { allowSecondFactor: true })).toMatchObject({ user_id: userId, second_factor: true });
  });

  it('should refuse a recovery session as a sign-in: it can only add a passkey', async () => {
    const client = newClient();
    const username = unique('name');
    const registered = await registerWith(client, newDevice(), { username, userDisplayName: username });
    const { codes } = client.openJson<{ codes: string[] }>(registered.encrypted_recovery_codes);
    const recovered = await client.call('recoverAccount', { encrypted_user: client.seal({ username, code: codes[0] }) });
    expect(recovered.error).toBeUndefined();
    const recoveryJwt = open(client.aesKey, String(recovered.result?.encrypted_jwt));
    expect((await reasonOf(server.verifySession(recoveryJwt))).reason).toBe('session_invalid');
    expect((await reasonOf(server.verifySession(recoveryJwt, { allowSecondFactor: true }))).reason).toBe('session_invalid');
    // The account's own sessions still verify.
    expect((await server.verifySession(open(client.aesKey, registered.encrypted_jwt))).account_id).toBe(registered.account_id);
  });

  it('should answer the lifecycle calls typed: list, find, passkeys, revoke sessions, delete a passkey and the account', async () => {
    const prefix = unique('life');
    const device = newDevice();
    const client = newClient();
    const userA = unique('u');
    const registered = await registerWith(client, device, { registration_token: (await server.createRegistrationToken({ user_id: userA, username: `${prefix}-a` })).registration_token, device_name: 'Phone' });
    await registerWith(newClient(), newDevice(), { registration_token: (await server.createRegistrationToken({ user_id: unique('u'), username: `${prefix}-b` })).registration_token });

    const page = await server.listAccounts({ username_prefix: prefix, limit: 1 });
    expect(page.accounts.map((account) => account.username)).toEqual([`${prefix}-a`]);
    expect(page.next_cursor).not.toBeNull();
    const next = await server.listAccounts({ username_prefix: prefix, cursor: page.next_cursor!, limit: 1 });
    expect(next.accounts.map((account) => account.username)).toEqual([`${prefix}-b`]);

    const account = await server.findAccount({ username: `${prefix}-a` });
    expect(account).toMatchObject({ account_id: registered.account_id, scope_id: scopeId, user_id: userA, disabled: false, credential_count: 1 });
    expect((await server.findAccount({ user_id: userA })).account_id).toBe(registered.account_id);
    const [passkey] = await server.listAccountCredentials({ account_id: registered.account_id });
    expect(passkey).toMatchObject({ name: 'Phone' });
    // A second passkey for the same user (the next token for its user id), so one may be deleted.
    await registerWith(newClient(), newDevice(), { registration_token: (await server.createRegistrationToken({ user_id: userA })).registration_token });
    expect((await server.findAccount({ account_id: registered.account_id })).credential_count).toBe(2);

    const { jwt } = await signInWith(client, device, { username: `${prefix}-a` });
    expect(await server.revokeSessions({ account_id: registered.account_id })).toEqual({ account_id: registered.account_id, sessions_revoked: true });
    // Offline verification cannot know of the revocation; the gateway's own check does.
    expect((await server.verifySession(jwt)).account_id).toBe(registered.account_id);

    expect(await server.deleteAccountCredential({ account_id: registered.account_id, credential_id: passkey!.credential_id })).toEqual({
      account_id: registered.account_id,
      credential_id: passkey!.credential_id,
      deleted: true,
    });
    expect(await server.deleteAccount({ account_id: registered.account_id })).toEqual({ account_id: registered.account_id, deleted: true });
    expect((await reasonOf(server.findAccount({ account_id: registered.account_id }))).reason).toBe('account_not_found');
  });

  it("should let an operator's recovery token add a passkey to an existing account", async () => {
    const operator = new GatewayServer({ url: harness.url, scopeId, adminToken });
    const registered = await registerWith(newClient(), newDevice(), { registration_token: (await server.createRegistrationToken({ user_id: unique('u') })).registration_token });
    const { registration_token } = await operator.createRecoveryToken({ account_id: registered.account_id });
    const recovered = await registerWith(newClient(), newDevice(), { registration_token });
    expect(recovered.account_id).toBe(registered.account_id);
    expect(await operator.listAccountCredentials({ account_id: registered.account_id })).toHaveLength(2);
    await expect(server.createRecoveryToken({ account_id: registered.account_id })).rejects.toThrow(TypeError);
  });

  it("should carry the gateway's reason for a wrong key (unauthorized) and for another scope's key (scope_mismatch)", async () => {
    const wrongKey = new GatewayServer({ url: harness.url, scopeId, apiKey: `${apiKey.slice(0, -4)}AAAA` });
    expect(await reasonOf(wrongKey.createRegistrationToken({ user_id: 'u-1' }))).toMatchObject({ reason: 'unauthorized', code: errorTable.unauthorized.code });
    const crossed = new GatewayServer({ url: harness.url, scopeId, apiKey: otherKey });
    expect(await reasonOf(crossed.createSignInToken({ user_id: 'u-1' }))).toMatchObject({ reason: 'scope_mismatch', code: errorTable.scope_mismatch.code });
    // The key is never part of what an error says.
    const error = await reasonOf(crossed.listAccounts());
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(otherKey);
  });

  it('should turn an unreachable gateway into network_error and a reply that is not the answer into unexpected_reply', async () => {
    const closed = new GatewayServer({ url: 'http://127.0.0.1:9/', scopeId, apiKey });
    expect((await reasonOf(closed.createSignInToken({ user_id: 'u-1' }))).reason).toBe('network_error');
    const notFound: ServerFetch = () => Promise.resolve({ status: 404, json: () => Promise.resolve({}) });
    expect(await reasonOf(new GatewayServer({ url: harness.url, scopeId, apiKey, fetch: notFound }).listAccounts())).toMatchObject({ reason: 'network_error', status: 404 });
    const notJson: ServerFetch = () => Promise.resolve({ status: 200, json: () => Promise.reject(new SyntaxError('Unexpected token <')) });
    expect((await reasonOf(new GatewayServer({ url: harness.url, scopeId, apiKey, fetch: notJson }).listAccounts())).reason).toBe('unexpected_reply');
    const wrongId: ServerFetch = () => Promise.resolve({ status: 200, json: () => Promise.resolve({ jsonrpc: '2.0', id: 999, result: {} }) });
    expect((await reasonOf(new GatewayServer({ url: harness.url, scopeId, apiKey, fetch: wrongId }).listAccounts())).reason).toBe('unexpected_reply');
    const wrongShape: ServerFetch = (_url, init) => Promise.resolve({ status: 200, json: () => Promise.resolve({ jsonrpc: '2.0', id: (JSON.parse(init.body) as { id: number }).id, result: { accounts: 'no' } }) });
    expect((await reasonOf(new GatewayServer({ url: harness.url, scopeId, apiKey, fetch: wrongShape }).listAccounts())).reason).toBe('unexpected_reply');
  });

  it('should refuse misuse by the calling code with a TypeError', () => {
    expect(() => new GatewayServer({ url: harness.url, scopeId: 'not-a-scope', apiKey })).toThrow(TypeError);
    expect(() => new GatewayServer({ url: harness.url, scopeId })).toThrow(TypeError);
    // The key never goes in clear text to a host that is not this machine, unless the app says so.
    expect(() => new GatewayServer({ url: 'http://passkeys.example.com/', scopeId, apiKey })).toThrow(TypeError);
    expect(() => new GatewayServer({ url: 'not a url', scopeId, apiKey })).toThrow(TypeError);
    expect(() => new GatewayServer({ url: 'http://10.0.0.5:9545/', scopeId, apiKey, allowHttp: true })).not.toThrow();
    expect(() => new GatewayServer({ url: 'https://passkeys.example.com/', scopeId, apiKey })).not.toThrow();
    expect(() => new GatewayServer({ url: 'http://[::1]:9545/', scopeId, apiKey })).not.toThrow();
  });
});
