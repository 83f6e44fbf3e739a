/**
 * Findings of the review of the WebAuthn Level 3 work, each through the real endpoint on both store
 * pairs: framed ceremonies, the unknown-credential answer beside the unknown-user stand-ins,
 * automatic passkey upgrades, the backup-eligibility policy, app origins and related origins, and
 * registration beside the stand-ins.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { SoftAuthenticator, type CeremonyOverrides } from '../../scripts/lib/soft-authenticator.js';
import { open, RpcClient } from '../../scripts/lib/rpc-client.js';
import type { Scope, ScopeSettingsInput } from '../../src/domain/scope.js';
import { describeForBackends, type TestBackend } from '../support/backends.js';
import { completeAuthentication, completeRegistration, initiateAuthentication, initiateRegistration, register, signIn } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';

const openEnv = { RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_USER_PER_MINUTE: '0' };
const EMBEDDER = 'https://shop.embedder.test';
const APP_ORIGIN = `android:apk-key-hash:${randomBytes(32).toString('base64url')}`;

const framed = (crossOrigin: boolean, topOrigin?: string): CeremonyOverrides => ({
  clientData: { crossOrigin, ...(topOrigin === undefined ? {} : { extra: { topOrigin } }) },
});

/** GET a path with a Host header of our choosing (fetch does not let a caller set Host). */
function getWithHost(url: string, path: string, host: string, origin?: string): Promise<{ status: number; body: unknown; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: 'GET', headers: { host, ...(origin === undefined ? {} : { origin }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describeForBackends('WebAuthn Level 3 review findings, through the real endpoint', (backend: TestBackend) => {
  let harness: Harness;
  let clock = Date.now();
  const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
  const platform = (options: Partial<ConstructorParameters<typeof SoftAuthenticator>[0]> = {}) => new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', ...options });
  const scopeWith = async (settings: Partial<ScopeSettingsInput> = {}) => {
    const scope = await harness.createScope(settings);
    return { scope, client: new RpcClient(harness.url, scope.scope_id, harness.publicKey, TEST_ORIGIN) };
  };
  const updateScope = async (scope: Scope, changes: Partial<Scope>) => {
    await harness.gateway.stores.scopes.updateScope(scope.scope_id, changes);
    await harness.gateway.scopes.refresh();
  };

  beforeAll(async () => {
    harness = await startGateway(backend, openEnv, { now: () => clock });
  });
  afterAll(() => harness.close());

  describe('finding L3-2: ceremonies framed by a cross-origin page', () => {
    it('registration: refused unless the scope lists the embedding page (the library does not look at crossOrigin or topOrigin)', async () => {
      const { client } = await scopeWith({ top_origins: [EMBEDDER] });
      const attempt = async (overrides: CeremonyOverrides) => (await completeRegistration(client, await initiateRegistration(client, unique('framed')), platform(), overrides)).error?.data;
      expect(await attempt(framed(true, 'https://evil.example'))).toBe('verification_failed');
      // Safari reports crossOrigin without a topOrigin: nothing says who framed it.
      expect(await attempt(framed(true))).toBe('verification_failed');
      expect(await attempt(framed(false, EMBEDDER))).toBe('verification_failed');
      expect(await attempt(framed(true, EMBEDDER))).toBeUndefined();
      expect(await attempt(framed(false))).toBeUndefined();
    });

    it('sign-in: refused unless the scope lists the embedding page, crossOrigin without a topOrigin included', async () => {
      const { client, scope } = await scopeWith({ top_origins: [EMBEDDER] });
      const authenticator = platform();
      const username = unique('framed');
      await register(client, authenticator, username);
      const attempt = async (overrides: CeremonyOverrides) => (await completeAuthentication(client, await initiateAuthentication(client, username), authenticator, overrides)).error?.data;
      expect(await attempt(framed(true, 'https://evil.example'))).toBe('verification_failed');
      expect(await attempt(framed(true))).toBe('verification_failed');
      expect(await attempt(framed(false, EMBEDDER))).toBe('verification_failed');
      expect(await attempt(framed(true, EMBEDDER))).toBeUndefined();
      // A scope that lists no embedder takes no framed sign-in.
      await updateScope(scope, { top_origins: [] });
      expect(await attempt(framed(true, EMBEDDER))).toBe('verification_failed');
    });
  });

  describe('finding L3-3: unknown_credential, and the unknown-user stand-ins', () => {
    it('answers unknown_credential for a passkey no account holds, but never for a stand-in id replayed in a usernameless sign-in', async () => {
      const { client } = await scopeWith();
      await register(client, platform(), unique('someone'));
      // A passkey the browser holds for this RP that no account has (say, its account was deleted).
      const orphan = platform();
      orphan.createCredential((await initiateRegistration(client, unique('never-completed'))).options, TEST_ORIGIN);
      expect((await completeAuthentication(client, await initiateAuthentication(client), orphan)).error).toEqual({
        code: -32027,
        message: 'No account holds this passkey',
        data: 'unknown_credential',
      });

      // The ids an unknown username's sign-in lists, replayed in a usernameless sign-in, fail as a real
      // passkey's bad signature fails: otherwise the two answers together would show the name has no account.
      const standIns = (await initiateAuthentication(client, unique('nobody'))).options.allowCredentials ?? [];
      expect(standIns.length).toBeGreaterThan(0);
      const prober = platform();
      const registration = await initiateRegistration(client, unique('probe'));
      for (const { id } of standIns) prober.createCredential({ ...registration.options, excludeCredentials: [] }, TEST_ORIGIN, { credentialId: id });
      for (const { id } of standIns) {
        const reply = await completeAuthentication(client, await initiateAuthentication(client), prober, { credentialId: id });
        expect(reply.error?.data).toBe('verification_failed');
      }
      // A sign-in that names a user never says unknown_credential, whoever holds the passkey.
      const named = await completeAuthentication(client, await initiateAuthentication(client, unique('nobody')), orphan, { credentialId: orphan.credentials[0]!.id });
      expect(named.error?.data).toBe('verification_failed');
    });
  });

  describe('finding L3-4: automatic passkey upgrade (conditional create)', () => {
    it('is decided at initiation for a signed-in account only, and only that challenge goes without user presence', async () => {
      const { client } = await scopeWith();
      const authenticator = platform();
      const username = unique('upgrade');
      await register(client, authenticator, username);
      const session = await signIn(client, authenticator, username);
      const headers = { 'x-encrypted-session': session };
      const silent: CeremonyOverrides = { userPresent: false, userVerified: false };

      // Without a session there is nothing to upgrade.
      const anonymous = await client.call('initiateRegistration', { encrypted_user: client.seal({ username: unique('anon') }), mediation: 'conditional' });
      expect(anonymous.error?.data).toBe('session_invalid');

      // An ordinary ceremony (new account, or a passkey added with a prompt) needs presence, whatever the completion says.
      const fresh = await initiateRegistration(client, unique('present'));
      expect((await completeRegistration(client, fresh, platform(), silent)).error?.data).toBe('verification_failed');
      const prompted = await initiateRegistration(client, username, undefined, headers);
      const sneaky = platform().createCredential(prompted.options, TEST_ORIGIN, silent);
      const withFlag = await client.call(
        'completeRegistration',
        { challenge_id: prompted.challengeId, encrypted_attestation: client.seal(sneaky), encrypted_user: prompted.encryptedUser, mediation: 'conditional' },
        headers,
      );
      expect(withFlag.error?.data).toBe('verification_failed');

      // The upgrade the gateway granted: the options say so, and the silent passkey is taken.
      const granted = await client.call('initiateRegistration', { encrypted_user: client.seal({ username }), mediation: 'conditional' }, headers);
      const opened = client.openJson<{ mediation?: string; publicKey: Parameters<SoftAuthenticator['createCredential']>[0] }>(granted.result?.encrypted_creation_challenge);
      expect(opened.mediation).toBe('conditional');
      const upgraded = platform().createCredential(opened.publicKey, TEST_ORIGIN, silent);
      const done = await client.call(
        'completeRegistration',
        { challenge_id: granted.result?.challenge_id, encrypted_attestation: client.seal(upgraded), encrypted_user: client.seal({ username }) },
        headers,
      );
      expect(done.error).toBeUndefined();
    });

    it('needs a recent sign-in, as adding any passkey does', async () => {
      const { client } = await scopeWith({ reauth_window_s: 60 });
      const authenticator = platform();
      const username = unique('stale');
      await register(client, authenticator, username);
      const session = await signIn(client, authenticator, username);
      clock += 120_000;
      const reply = await client.call('initiateRegistration', { encrypted_user: client.seal({ username }), mediation: 'conditional' }, { 'x-encrypted-session': session });
      expect(reply.error?.data).toBe('reauthentication_required');
    });
  });

  describe('finding L3-6: the backup-eligibility policy', () => {
    it('is enforced at registration', async () => {
      const synced = () => platform({ backupEligible: true, backedUp: true });
      const { client: forbidding } = await scopeWith({ backup_eligibility: 'forbidden' });
      expect((await completeRegistration(forbidding, await initiateRegistration(forbidding, unique('synced')), synced())).error).toEqual({
        code: -32018,
        message: 'This scope does not take this kind of passkey (synced, or bound to one device)',
        data: 'backup_eligibility_refused',
      });
      const { client: requiring } = await scopeWith({ backup_eligibility: 'required' });
      expect((await completeRegistration(requiring, await initiateRegistration(requiring, unique('bound')), platform())).error?.data).toBe('backup_eligibility_refused');
      await expect(register(requiring, synced(), unique('synced'))).resolves.toMatchObject({ account_id: expect.any(String) as string });
    });

    it('is enforced at sign-in on the flag reported now, and only once the signature verified', async () => {
      const { client, scope } = await scopeWith({ backup_eligibility: 'forbidden' });
      const authenticator = platform();
      const username = unique('bound');
      await register(client, authenticator, username);
      const attempt = async (overrides: CeremonyOverrides = {}) => (await completeAuthentication(client, await initiateAuthentication(client, username), authenticator, overrides)).error?.data;
      // A provider that has since made it syncable: refused, but a forged assertion learns only verification_failed.
      expect(await attempt({ backupEligible: true, corruptSignature: true })).toBe('verification_failed');
      expect(await attempt({ backupEligible: true })).toBe('backup_eligibility_refused');
      expect(await attempt()).toBeUndefined();
      // A policy changed after registration applies to the passkeys already there.
      await updateScope(scope, { backup_eligibility: 'required' });
      expect(await attempt()).toBe('backup_eligibility_refused');
    });
  });

  describe('finding L3-7: Android app origins are compared exactly', () => {
    it('signs an app in with its apk-key-hash origin, and refuses near misses and malformed ones', async () => {
      const { scope } = await scopeWith({ origins: [TEST_ORIGIN, APP_ORIGIN] });
      // An app sends no Origin header; its origin is in the client data only.
      const app = new RpcClient(harness.url, scope.scope_id, harness.publicKey);
      const authenticator = platform();
      const username = unique('app');
      const started = await initiateRegistration(app, username);
      expect((await completeRegistration(app, started, authenticator, {}, APP_ORIGIN)).error).toBeUndefined();
      const signInWith = async (origin: string) => (await completeAuthentication(app, await initiateAuthentication(app, username), authenticator, {}, origin)).error?.data;
      expect(await signInWith(APP_ORIGIN)).toBeUndefined();
      for (const nearMiss of [`${APP_ORIGIN}=`, APP_ORIGIN.replace('android:', 'ANDROID:'), `${APP_ORIGIN.slice(0, -1)}${APP_ORIGIN.endsWith('A') ? 'B' : 'A'}`, 'android:apk-key-hash:']) {
        expect(await signInWith(nearMiss)).toBe('verification_failed');
      }
      await expect(harness.createScope({ origins: ['android:apk-key-hash:too-short'] })).rejects.toThrow();
      await expect(harness.createScope({ origins: [`${APP_ORIGIN}=`] })).rejects.toThrow();
    });
  });

  describe('finding L3-8: related origins', () => {
    it('serves /.well-known/webauthn only for a host that is some scope\'s RP id, with web origins only', async () => {
      const rpId = `${randomUUID().slice(0, 8)}.related.test`;
      const shop = `https://${rpId}`;
      const partner = 'https://partner-shop.example';
      await harness.createScope({ rp_id: rpId, origins: [shop, partner, APP_ORIGIN] });
      await harness.createScope({ rp_id: rpId, origins: [shop, 'https://another-brand.example'] });
      const served = await getWithHost(harness.url, '/.well-known/webauthn', `${rpId.toUpperCase()}:443`);
      // Every web origin of every scope on that RP id, each once (two scopes made within the same
      // millisecond of the test clock come back in either order).
      expect(served.status).toBe(200);
      expect([...(served.body as { origins: string[] }).origins].sort()).toEqual([shop, partner, 'https://another-brand.example'].sort());
      expect((await getWithHost(harness.url, '/.well-known/webauthn', 'unrelated.example')).status).toBe(404);
      // An app origin never comes in an Origin header, so CORS never names one.
      const cors = await getWithHost(harness.url, '/healthz', 'localhost', APP_ORIGIN);
      expect(cors.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('finding L3-12: registration beside the unknown-user stand-ins', () => {
    it('answers credential_exists alike for a passkey id a real account holds and for a stand-in id an unknown username lists', async () => {
      const { client } = await scopeWith();
      const alice = unique('alice');
      await register(client, platform(), alice);
      // What anyone learns from initiateAuthentication: the listed ids of a real name and of an unknown one.
      const realIds = ((await initiateAuthentication(client, alice)).options.allowCredentials ?? []).map(({ id }) => id);
      const standInIds = ((await initiateAuthentication(client, unique('nobody'))).options.allowCredentials ?? []).map(({ id }) => id);
      expect(realIds).toHaveLength(1);
      expect(standInIds.length).toBeGreaterThan(0);
      // The prober registers throwaway accounts whose passkey claims each listed id.
      const probe = async (id: string) => (await completeRegistration(client, await initiateRegistration(client, unique('probe')), platform(), { credentialId: id })).error?.data;
      expect(await probe(realIds[0]!)).toBe('credential_exists');
      for (const id of standInIds) expect(await probe(id)).toBe('credential_exists');
      // And as a second passkey of a signed-in account (the other way a passkey is stored).
      const owner = platform();
      const bob = unique('bob');
      await register(client, owner, bob);
      const session = await signIn(client, owner, bob);
      const add = async (id: string) =>
        (await completeRegistration(client, await initiateRegistration(client, bob, undefined, { 'x-encrypted-session': session }), platform(), { credentialId: id }, undefined, { 'x-encrypted-session': session })).error?.data;
      expect(await add(realIds[0]!)).toBe('credential_exists');
      expect(await add(standInIds[0]!)).toBe('credential_exists');
      // An id too short to carry the stand-in tag might be a stand-in too; a fresh random one is taken.
      expect(await probe(randomBytes(12).toString('base64url'))).toBe('credential_exists');
      expect(await probe(randomBytes(32).toString('base64url'))).toBeUndefined();
    });
  });

  describe('finding L3-13: an automatic upgrade is as recent as the sign-in it upgraded', () => {
    it('keeps the auth_time of the session it upgraded, so silent upgrades cannot keep a session recent for ever', async () => {
      const { client } = await scopeWith({ reauth_window_s: 60 });
      const username = unique('silent');
      const owner = platform();
      await register(client, owner, username);
      const signedInAt = Math.floor(clock / 1000);
      let session = await signIn(client, owner, username);
      const authTimeOf = (envelope: string) => (JSON.parse(Buffer.from(open(client.aesKey, envelope).split('.')[1]!, 'base64url').toString('utf8')) as { auth_time: number }).auth_time;
      // Whoever holds the session and its client key upgrades silently every 50 s, with no presence and no verification.
      const upgrades: unknown[] = [];
      for (let round = 0; round < 4; round += 1) {
        clock += 50_000;
        const headers = { 'x-encrypted-session': session };
        const granted = await client.call('initiateRegistration', { encrypted_user: client.seal({ username }), mediation: 'conditional' }, headers);
        upgrades.push(granted.error?.data);
        if (granted.error !== undefined) continue;
        const opened = client.openJson<{ publicKey: Parameters<SoftAuthenticator['createCredential']>[0] }>(granted.result?.encrypted_creation_challenge);
        const silent = platform().createCredential(opened.publicKey, TEST_ORIGIN, { userPresent: false, userVerified: false });
        const done = await client.call('completeRegistration', { challenge_id: granted.result?.challenge_id, encrypted_attestation: client.seal(silent), encrypted_user: client.seal({ username }) }, headers);
        expect(done.error).toBeUndefined();
        session = String(done.result?.encrypted_jwt);
        expect(authTimeOf(session)).toBe(signedInAt);
      }
      // The first upgrade, 50 s after the sign-in, is granted; from 100 s on the window is over.
      expect(upgrades).toEqual([undefined, 'reauthentication_required', 'reauthentication_required', 'reauthentication_required']);
      // 200 s after the only real sign-in, with a 60 s window: a passkey change needs a fresh sign-in.
      const add = await client.call('initiateRegistration', { encrypted_user: client.seal({ username }) }, { 'x-encrypted-session': session });
      expect(add.error?.data).toBe('reauthentication_required');
      // A real sign-in makes it recent again.
      session = await signIn(client, owner, username);
      expect(authTimeOf(session)).toBe(Math.floor(clock / 1000));
    });

    it('keeps the uv of the session it upgraded: a silent ceremony that says it verified the user does not make the session verified', async () => {
      const { client } = await scopeWith({ user_verification: 'preferred' });
      const username = unique('unverified');
      const owner = platform();
      await register(client, owner, username);
      // The only real sign-in did not verify the user.
      const signedIn = await completeAuthentication(client, await initiateAuthentication(client, username), owner, { userVerified: false });
      const session = String(signedIn.result?.encrypted_jwt);
      const claimsOf = (envelope: string) => JSON.parse(Buffer.from(open(client.aesKey, envelope).split('.')[1]!, 'base64url').toString('utf8')) as { auth_time: number; uv?: boolean };
      expect(claimsOf(session).uv).toBe(false);
      const headers = { 'x-encrypted-session': session };
      const granted = await client.call('initiateRegistration', { encrypted_user: client.seal({ username }), mediation: 'conditional' }, headers);
      const opened = client.openJson<{ publicKey: Parameters<SoftAuthenticator['createCredential']>[0] }>(granted.result?.encrypted_creation_challenge);
      // Unsigned flags (attestation none): whoever runs the ceremony sets UV as they like.
      const claimed = platform().createCredential(opened.publicKey, TEST_ORIGIN, { userPresent: false, userVerified: true });
      const done = await client.call('completeRegistration', { challenge_id: granted.result?.challenge_id, encrypted_attestation: client.seal(claimed), encrypted_user: client.seal({ username }) }, headers);
      expect(done.error).toBeUndefined();
      expect(claimsOf(String(done.result?.encrypted_jwt))).toMatchObject({ uv: false, auth_time: claimsOf(session).auth_time });
    });
  });
});
