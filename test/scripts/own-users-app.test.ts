/**
 * The own-users demo app's backend (scripts/own-users-app.ts) through its HTTP API, with the
 * protocol client standing in for its page, on both store pairs: a passkey counts as the second
 * factor only when verifySignIn says it was one, for the user whose password was right.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { startOwnUsersApp, type OwnUsersApp } from '../../scripts/own-users-app.js';
import { open, RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { createKey } from '../api-keys/server-rpc.js';
import { describeForBackends } from '../support/backends.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';

describeForBackends('the own-users demo app', (backend) => {
  let harness: Harness;
  let tokenDir: string;
  let app: OwnUsersApp;
  let scopeId: string;

  beforeAll(async () => {
    const adminToken = randomBytes(32).toString('base64url');
    tokenDir = mkdtempSync(join(tmpdir(), 'pkgw-own-users-app-'));
    writeFileSync(join(tokenDir, 'admin-token'), adminToken, { mode: 0o600 });
    harness = await startGateway(backend, { DEMO: 'off', ADMIN_TOKEN_FILE: join(tokenDir, 'admin-token') });
    scopeId = (await harness.createScope({ origins: [TEST_ORIGIN] })).scope_id;
    const apiKey = (await createKey(harness.url, adminToken, scopeId)).secret;
    app = await startOwnUsersApp({ gatewayUrl: harness.url, scopeId, apiKey, publicKey: harness.publicKey, port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await harness?.close();
    rmSync(tokenDir, { recursive: true, force: true });
  });

  /** A browser of the app: its cookie, and its calls to the app's API. */
  function visitor() {
    let cookie = '';
    return async (path: string, body: unknown = {}): Promise<{ status: number; json: Record<string, unknown> }> => {
      const response = await fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
      const set = response.headers.get('set-cookie');
      if (set !== null) cookie = set.split(';')[0]!;
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
  }

  async function register(client: RpcClient, device: SoftAuthenticator, registrationToken: string): Promise<void> {
    const encryptedUser = client.seal({ registration_token: registrationToken });
    const started = await client.call('initiateRegistration', { encrypted_user: encryptedUser });
    const { publicKey } = client.openJson<{ publicKey: PublicKeyCredentialCreationOptionsJSON }>(started.result?.encrypted_creation_challenge);
    const done = await client.call('completeRegistration', { challenge_id: started.result?.challenge_id, encrypted_attestation: client.seal(device.createCredential(publicKey, TEST_ORIGIN)), encrypted_user: encryptedUser });
    expect(done.error).toBeUndefined();
  }

  async function signIn(client: RpcClient, device: SoftAuthenticator, user: Record<string, unknown>): Promise<string> {
    const encryptedUser = client.seal(user);
    const started = await client.call('initiateAuthentication', { encrypted_user: encryptedUser, regenerate_seed: false });
    const { publicKey } = client.openJson<{ publicKey: PublicKeyCredentialRequestOptionsJSON }>(started.result?.encrypted_request_challenge);
    const done = await client.call('completeAuthentication', { challenge_id: started.result?.challenge_id, encrypted_assertion: client.seal(device.getAssertion(publicKey, TEST_ORIGIN)), encrypted_user: encryptedUser });
    expect(done.error).toBeUndefined();
    return open(client.aesKey, String(done.result?.encrypted_sign_in_token));
  }

  it('should take a passkey as second factor only from verifySignIn, for the user whose password was right, once', async () => {
    const client = new RpcClient(harness.url, scopeId, harness.publicKey, TEST_ORIGIN);
    const device = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
    const alice = visitor();
    expect((await alice('/api/login', { username: 'alice', password: 'alice-password' })).json.user).toMatchObject({ user_id: 'u-1001', method: 'password' });
    const { registration_token } = (await alice('/api/passkeys/registration-token')).json;
    await register(client, device, String(registration_token));
    expect((await alice('/api/passkeys/registered')).json.user).toMatchObject({ user_id: 'u-1001', account_id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown });

    // Her password now asks for the passkey; until then the app treats her as signed out.
    const attacker = visitor();
    const firstFactor = await attacker('/api/login', { username: 'alice', password: 'alice-password' });
    const { sign_in_token } = firstFactor.json.second_factor as { sign_in_token: string };
    expect((await attacker('/api/me')).json).toEqual({ user: null });
    expect((await attacker('/api/passkeys/registration-token')).status).toBe(401);

    // A passkey sign-in that was not this second factor (a plain one, by username) does not complete it.
    const plain = await signIn(client, device, { username: 'alice' });
    expect(await attacker('/api/passkeys/second-factor', { sign_in_token: plain })).toEqual({ status: 403, json: { error: 'second_factor_mismatch' } });

    // The second factor itself does, once.
    const proof = await signIn(client, device, { sign_in_token });
    expect((await attacker('/api/passkeys/second-factor', { sign_in_token: proof })).json.user).toMatchObject({ user_id: 'u-1001', method: 'password+passkey' });
    const again = visitor();
    await again('/api/login', { username: 'alice', password: 'alice-password' });
    expect(await again('/api/passkeys/second-factor', { sign_in_token: proof })).toEqual({ status: 502, json: { error: 'token_invalid' } });
  });

  it('should refuse what is not JSON from the page, and wrong passwords', async () => {
    const form = await fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=alice&password=alice-password' });
    expect(form.status).toBe(415);
    expect(await visitor()('/api/login', { username: 'bob', password: 'alice-password' })).toEqual({ status: 401, json: { error: 'wrong_password' } });
  });
});
