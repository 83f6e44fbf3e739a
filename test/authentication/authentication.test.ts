import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { addressOf } from '../../src/identity/account-key.js';
import { describeForBackends } from '../support/backends.js';
import { completeAuthentication, initiateAuthentication, register, sessionCall, signIn } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import { match } from '../support/match.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { open, seal, RpcClient } from '../../scripts/lib/rpc-client.js';

const platform = () => new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });
const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

describeForBackends('sign-in, sessions and passkey management through the real endpoint', (backend) => {
  let harness: Harness;
  let scopeId: string;
  let clock = Date.now();
  const newClient = (scope = scopeId) => new RpcClient(harness.url, scope, harness.publicKey);

  beforeAll(async () => {
    harness = await startGateway(backend, {}, { now: () => clock });
    scopeId = (await harness.createScope()).scope_id;
  });
  afterAll(() => harness.close());
  beforeEach(() => {
    clock = Date.now();
  });

  /** A registered user: their client, authenticator and sealed session from a fresh sign-in. */
  async function signedInUser(authenticator = platform(), scope = scopeId) {
    const client = newClient(scope);
    const username = unique('user');
    const registered = await register(client, authenticator, username);
    const session = await signIn(client, authenticator, username);
    return { client, authenticator, username, registered, session, jwt: open(client.aesKey, session) };
  }

  describe('initiateAuthentication and completeAuthentication', () => {
    it('should sign in with a username and return a sealed, bare compact JWT that verifies offline against the published JWKS', async () => {
      const { client, registered, jwt, authenticator } = await signedInUser();
      expect(jwt.split('.')).toHaveLength(3);
      const jwksUrl = new URL('/.well-known/jwks.json', harness.url);
      const { payload, protectedHeader } = await jwtVerify(jwt, createRemoteJWKSet(jwksUrl), { issuer: 'passkey-gateway', audience: scopeId, algorithms: ['ES256'] });
      expect(protectedHeader.alg).toBe('ES256');
      expect(payload).toMatchObject({
        sub: registered.account_id,
        account_id: registered.account_id,
        aud: scopeId,
        identifier_hash: registered.identifier_hash,
        credential_id: authenticator.credentials[0]!.id,
      });
      expect(payload.exp! - payload.iat!).toBe(3600);
      expect(typeof payload.jti).toBe('string');
      // The account key: compressed secp256k1, 66 hex, no 0x; the address is what the SDK derives.
      expect(payload.public_key).toMatch(/^0[23][0-9a-f]{64}$/);
      expect(payload.address).toBe(addressOf(Buffer.from(String(payload.public_key), 'hex')));

      const jwks = await client.call('getJwks', {});
      const fromRpc = await jwtVerify(jwt, createLocalJWKSet(jwks.result as { keys: [] }), { audience: scopeId });
      expect(fromRpc.payload.jti).toBe(payload.jti);
    });

    it('should list the account\'s credentials with their transports in allowCredentials', async () => {
      const client = newClient();
      const username = unique('allow');
      const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', transports: ['internal', 'hybrid'] });
      await register(client, authenticator, username);
      const started = await initiateAuthentication(client, username);
      expect(started.options.allowCredentials).toEqual([{ id: authenticator.credentials[0]!.id, type: 'public-key', transports: ['internal', 'hybrid'] }]);
      expect(started.options.rpId).toBe('localhost');
      expect(started.options.userVerification).toBe('required');
    });

    it('should sign in without a username with a discoverable credential', async () => {
      const client = newClient();
      const authenticator = platform();
      const { account_id } = await register(client, authenticator, unique('nameless'));
      const started = await initiateAuthentication(client);
      expect(started.options.allowCredentials ?? []).toEqual([]);
      const reply = await completeAuthentication(client, started, authenticator);
      expect(decodeJwt(open(client.aesKey, String(reply.result?.encrypted_jwt))).account_id).toBe(account_id);
    });

    it('should answer an unknown username exactly like a known one, the same way every time, then fail verification', async () => {
      const client = newClient();
      const known = unique('known');
      const knownKey = platform();
      await register(client, knownKey, known);
      const knownAnswer = await initiateAuthentication(client, known);
      const stranger = unique('stranger');
      const first = await initiateAuthentication(client, stranger);
      const second = await initiateAuthentication(newClient(), stranger);

      // Same keys and types everywhere; a list of strings (transports) may differ in length, as real passkeys' do.
      const shape = (value: unknown): unknown =>
        Array.isArray(value) && value.every((item) => typeof item === 'string')
          ? 'string[]'
          : Array.isArray(value)
            ? value.map(shape)
            : value !== null && typeof value === 'object'
              ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]))
              : typeof value;
      expect(shape(first.options)).toEqual(shape(knownAnswer.options));
      expect(first.options.allowCredentials).toHaveLength(knownAnswer.options.allowCredentials!.length);
      expect(first.options.allowCredentials![0]!.id.length).toBe(knownAnswer.options.allowCredentials![0]!.id.length);
      expect(second.options.allowCredentials).toEqual(first.options.allowCredentials);
      expect(first.options.challenge).not.toBe(second.options.challenge);

      // Whatever passkey the stranger tries, the completion fails the same way.
      const reply = await completeAuthentication(client, first, knownKey, { credentialId: knownKey.credentials[0]!.id });
      expect(reply.error?.data).toBe('verification_failed');
    });

    it('should answer challenge_not_found to a replayed challenge', async () => {
      const { client, authenticator, username } = await signedInUser();
      const started = await initiateAuthentication(client, username);
      expect((await completeAuthentication(client, started, authenticator)).result).toBeDefined();
      expect((await completeAuthentication(client, started, authenticator)).error?.data).toBe('challenge_not_found');
    });

    it('should answer challenge_mismatch when the challenge was started by another client key or username', async () => {
      const { authenticator, username } = await signedInUser();
      const owner = newClient();
      const started = await initiateAuthentication(owner, username);
      const thief = newClient();
      const reply = await thief.call('completeAuthentication', {
        challenge_id: started.challengeId,
        encrypted_assertion: thief.seal(authenticator.getAssertion(started.options, TEST_ORIGIN)),
        encrypted_user: thief.seal({ username }),
      });
      expect(reply.error?.data).toBe('challenge_mismatch');
      const again = await initiateAuthentication(owner, username);
      const renamed = await owner.call('completeAuthentication', {
        challenge_id: again.challengeId,
        encrypted_assertion: owner.seal(authenticator.getAssertion(again.options, TEST_ORIGIN)),
        encrypted_user: owner.seal({ username: `${username}-other` }),
      });
      expect(renamed.error?.data).toBe('challenge_mismatch');
    });

    it('should refuse another account\'s credential for a named user, and a wrong userHandle', async () => {
      const alice = await signedInUser();
      const bob = await signedInUser();
      const started = await initiateAuthentication(alice.client, alice.username);
      const reply = await completeAuthentication(alice.client, started, bob.authenticator, { credentialId: bob.authenticator.credentials[0]!.id });
      expect(reply.error?.data).toBe('verification_failed');

      const nameless = await initiateAuthentication(alice.client);
      const wrongHandle = await completeAuthentication(alice.client, nameless, alice.authenticator, { userHandle: bob.authenticator.credentials[0]!.userHandle });
      expect(wrongHandle.error?.data).toBe('verification_failed');
    });

    it('should not find a credential registered in another scope', async () => {
      const other = await harness.createScope({ name: 'other-scope' });
      const elsewhere = await signedInUser(platform(), other.scope_id);
      const client = newClient();
      const started = await initiateAuthentication(client);
      const reply = await completeAuthentication(client, started, elsewhere.authenticator);
      // No account of this scope holds it: the browser may forget it (signalUnknownCredential).
      expect(reply.error?.data).toBe('unknown_credential');
    });

    it.each([
      ['a wrong origin', { clientData: { origin: 'https://evil.example' } }],
      ['a wrong challenge', { clientData: { challenge: 'AAAAAAAAAAAAAAAAAAAAAA' } }],
      ['a bad signature', { corruptSignature: true }],
      ['no user verification where required', { userVerified: false }],
    ])('should answer verification_failed for %s', async (_label, overrides) => {
      const { client, authenticator, username } = await signedInUser();
      const reply = await completeAuthentication(client, await initiateAuthentication(client, username), authenticator, overrides);
      expect(reply.error).toMatchObject({ code: -32013, data: 'verification_failed' });
    });

    it('should reject a counter that does not grow with counter_regression and flag the passkey, but accept a jump', async () => {
      const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', counterStep: 2 });
      const { client, username, session } = await signedInUser(authenticator); // counter 0 → 2 at the first sign-in
      expect(authenticator.credentials[0]!.counter).toBe(2);
      await signIn(client, authenticator, username); // 4
      const reply = await completeAuthentication(client, await initiateAuthentication(client, username), authenticator, { counter: 3 });
      expect(reply.error).toMatchObject({ code: -32016, data: 'counter_regression' });
      const listed = await sessionCall<{ credentials: { possibly_cloned: boolean }[] }>(client, session, 'listCredentials');
      expect(listed.result?.credentials[0]?.possibly_cloned).toBe(true);
    });

    it('should sign in with a U2F security key (no user verification, null userHandle) on a scope that prefers verification', async () => {
      const relaxed = await harness.createScope({ name: 'u2f', user_verification: 'preferred' });
      const key = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', userVerification: false, residentKey: false, attachment: 'cross-platform' });
      const client = newClient(relaxed.scope_id);
      const username = unique('u2f');
      await register(client, key, username);
      const started = await initiateAuthentication(client, username);
      expect(started.options.userVerification).toBe('preferred');
      const reply = await completeAuthentication(client, started, key);
      expect(reply.result?.encrypted_jwt).toBeDefined();
    });

    it('should answer account_disabled for a disabled account', async () => {
      const { client, authenticator, username, registered } = await signedInUser();
      await harness.gateway.stores.accounts.setAccountDisabled(registered.account_id, true);
      const reply = await completeAuthentication(client, await initiateAuthentication(client, username), authenticator);
      expect(reply.error).toMatchObject({ code: -32015, data: 'account_disabled' });
      await harness.gateway.stores.accounts.setAccountDisabled(registered.account_id, false);
    });

    // Completion verifies against what initiation read; the write that records the sign-in must
    // still see changes made in between.
    it('should answer account_disabled when the account is disabled between initiation and completion', async () => {
      const { client, authenticator, username, registered } = await signedInUser();
      const started = await initiateAuthentication(client, username);
      await harness.gateway.stores.accounts.setAccountDisabled(registered.account_id, true);
      const reply = await completeAuthentication(client, started, authenticator);
      expect(reply.error).toMatchObject({ code: -32015, data: 'account_disabled' });
      await harness.gateway.stores.accounts.setAccountDisabled(registered.account_id, false);
      expect((await completeAuthentication(client, await initiateAuthentication(client, username), authenticator)).result?.encrypted_jwt).toBeDefined();
    });

    it('should refuse a passkey deleted between initiation and completion, and keep the other one working', async () => {
      const { client, authenticator, username, session } = await signedInUser();
      const second = platform();
      await register(client, second, username, session);
      const started = await initiateAuthentication(client, username);
      expect(started.options.allowCredentials).toHaveLength(2);
      await sessionCall(client, session, 'deleteCredential', { credential_id: authenticator.credentials[0]!.id });
      const reply = await completeAuthentication(client, started, authenticator);
      expect(reply.error).toMatchObject({ data: 'verification_failed' });
      expect((await completeAuthentication(client, await initiateAuthentication(client, username), second)).result?.encrypted_jwt).toBeDefined();
    });

    it('should detect a counter regression against the counter stored by a sign-in that completed after this one started', async () => {
      const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', counterStep: 2 });
      const { client, username, session } = await signedInUser(authenticator); // counter 2
      const early = await initiateAuthentication(client, username);
      await signIn(client, authenticator, username); // 4, stored after `early` was initiated
      const reply = await completeAuthentication(client, early, authenticator, { counter: 3 });
      expect(reply.error).toMatchObject({ code: -32016, data: 'counter_regression' });
      const listed = await sessionCall<{ credentials: { possibly_cloned: boolean; counter?: number }[] }>(client, session, 'listCredentials');
      expect(listed.result?.credentials[0]?.possibly_cloned).toBe(true);
    });

    it('should record last use and the new counter', async () => {
      const { client, session } = await signedInUser();
      const listed = await sessionCall<{ credentials: { last_used_at: string | null }[] }>(client, session, 'listCredentials');
      expect(Date.parse(listed.result!.credentials[0]!.last_used_at!)).toBeGreaterThan(Date.now() - 60_000);
    });
  });

  describe('sessions', () => {
    it('should return a session from completeRegistration so no second ceremony is needed', async () => {
      const client = newClient();
      const registered = await register(client, platform(), unique('fresh'));
      const account = await sessionCall<{ account_id: string }>(client, registered.encrypted_jwt, 'getAccount');
      expect(account.result?.account_id).toBe(registered.account_id);
    });

    it('should answer getAccount sealed in encrypted_result, with the address the JWT carries', async () => {
      const { client, session, jwt, registered, username, authenticator } = await signedInUser();
      const raw = await client.call('getAccount', {}, { 'x-encrypted-session': session });
      expect(Object.keys(raw.result ?? {})).toEqual(['encrypted_result']);
      const account = client.openJson<Record<string, unknown>>(raw.result?.encrypted_result);
      expect(account).toEqual({
        account_id: registered.account_id,
        identifier_hash: registered.identifier_hash,
        username: username.toLowerCase(),
        display_name: username,
        address: decodeJwt(jwt).address,
        created_at: match.any(String),
        // What the passkey was made with (user.id), which PublicKeyCredential.signal* calls name.
        user_handle: authenticator.credentials[0]!.userHandle,
        rp_id: 'localhost',
        // No app user id: the account was registered by username.
        user_id: null,
      });
    });

    it('should answer session_invalid without a session, for another scope, another client key, a tampered JWT or an expired one', async () => {
      const { client, session, jwt } = await signedInUser();
      expect((await sessionCall(client, '', 'getAccount')).error).toMatchObject({ code: -32020, data: 'session_invalid' });

      const otherScope = await harness.createScope({ name: 'cross' });
      const crossScope = await client.call('getAccount', {}, { 'x-encrypted-session': session, 'x-scope-id': otherScope.scope_id });
      expect(crossScope.error?.data).toBe('session_invalid');

      const otherClient = newClient();
      // Bound to the client key it was issued to (cnf): re-sealed under another key it is refused too.
      expect((await sessionCall(otherClient, seal(otherClient.aesKey, jwt), 'getAccount')).error?.data).toBe('session_invalid');
      expect((await sessionCall(otherClient, session, 'getAccount')).error?.data).toBe('session_invalid'); // sealed under another key

      const [header, payload, signature] = jwt.split('.');
      const forged = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
      forged.account_id = randomUUID();
      const tampered = `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
      expect((await sessionCall(client, seal(client.aesKey, tampered), 'getAccount')).error?.data).toBe('session_invalid');
      expect((await sessionCall(client, seal(client.aesKey, `${header}.${payload}.${'A'.repeat(86)}`), 'getAccount')).error?.data).toBe('session_invalid');

      clock = Date.now() + 3601 * 1000;
      expect((await sessionCall(client, session, 'getAccount')).error?.data).toBe('session_invalid');
    });

    it('should revoke the session on logout', async () => {
      const { client, session } = await signedInUser();
      expect((await sessionCall(client, session, 'logout')).result).toEqual({ revoked: true });
      expect((await sessionCall(client, session, 'getAccount')).error?.data).toBe('session_invalid');
    });

    it('should verify a session: claims out, or session_invalid', async () => {
      const { client, jwt, session } = await signedInUser();
      const good = await client.call('verify', { jwt });
      expect((good.result?.claims as { aud: string }).aud).toBe(scopeId);
      expect((await client.call('verify', { jwt: `${jwt}x` })).error?.data).toBe('session_invalid');
      await sessionCall(client, session, 'logout');
      expect((await client.call('verify', { jwt })).error?.data).toBe('session_invalid');
    });
  });

  describe('passkey management', () => {
    const ICLOUD = 'dd4ec289-e01d-41c9-bb89-70fa845d4bf2';

    it('should list passkeys with the provider named from the AAGUID and used as the default name', async () => {
      const aaguid = Buffer.from(ICLOUD.replaceAll('-', ''), 'hex');
      const authenticator = new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none', aaguid, backupEligible: true, backedUp: true });
      const { client, session } = await signedInUser(authenticator);
      const listed = await sessionCall<{ credentials: Record<string, unknown>[] }>(client, session, 'listCredentials');
      expect(listed.result?.credentials).toEqual([
        {
          credential_id: authenticator.credentials[0]!.id,
          name: 'iCloud Keychain (Managed)',
          provider: 'iCloud Keychain (Managed)',
          created_at: match.any(String),
          last_used_at: match.any(String),
          transports: ['internal'],
          device_type: 'multiDevice',
          backed_up: true,
          aaguid: ICLOUD,
          possibly_cloned: false,
          discoverable: true,
          authenticator_attachment: 'platform',
          attestation_verified: false,
        },
      ]);
    });

    it('should add a second passkey with a session, excluding the ones the account has, then sign in with either', async () => {
      const { client, authenticator, username, session, registered } = await signedInUser();
      const headers = { 'x-encrypted-session': session };
      const started = await client.call('initiateRegistration', { encrypted_user: client.seal({ username }) }, headers);
      const { publicKey } = client.openJson<{ publicKey: { excludeCredentials: { id: string }[]; user: { id: string } } }>(started.result?.encrypted_creation_challenge);
      expect(publicKey.excludeCredentials.map((c) => c.id)).toEqual([authenticator.credentials[0]!.id]);
      expect(publicKey.user.id).toBe(authenticator.credentials[0]!.userHandle);

      const second = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'packed-self' });
      const added = await register(client, second, username, session);
      expect(added.account_id).toBe(registered.account_id);
      const listed = await sessionCall<{ credentials: unknown[] }>(client, session, 'listCredentials');
      expect(listed.result?.credentials).toHaveLength(2);
      expect(decodeJwt(open(client.aesKey, await signIn(client, second, username))).account_id).toBe(registered.account_id);
      expect(decodeJwt(open(client.aesKey, await signIn(client, second))).account_id).toBe(registered.account_id);
    });

    it('should rename a passkey (up to 100 characters) and refuse unknown ones', async () => {
      const { client, authenticator, session } = await signedInUser();
      const id = authenticator.credentials[0]!.id;
      expect((await sessionCall(client, session, 'renameCredential', { credential_id: id, name: '  Work laptop ' })).result).toEqual({ credential_id: id, name: 'Work laptop' });
      const listed = await sessionCall<{ credentials: { name: string }[] }>(client, session, 'listCredentials');
      expect(listed.result?.credentials[0]?.name).toBe('Work laptop');
      expect((await sessionCall(client, session, 'renameCredential', { credential_id: id, name: 'x'.repeat(101) })).error?.data).toBe('invalid_params');
      expect((await sessionCall(client, session, 'renameCredential', { credential_id: 'nope', name: 'x' })).error?.data).toBe('credential_not_found');
      const other = await signedInUser();
      expect((await sessionCall(other.client, other.session, 'renameCredential', { credential_id: id, name: 'mine now' })).error?.data).toBe('credential_not_found');
    });

    it('should delete a passkey but refuse the last one', async () => {
      const { client, authenticator, username, session } = await signedInUser();
      const first = authenticator.credentials[0]!.id;
      expect((await sessionCall(client, session, 'deleteCredential', { credential_id: first })).error).toMatchObject({ code: -32022, data: 'last_credential' });
      const second = platform();
      // Adding a passkey answers a session started by it, which outlives the deletion of the first.
      const withSecond = (await register(client, second, username, session)).encrypted_jwt;
      expect((await sessionCall(client, withSecond, 'deleteCredential', { credential_id: first })).result).toEqual({ credential_id: first, deleted: true });
      expect((await sessionCall(client, withSecond, 'deleteCredential', { credential_id: first })).error?.data).toBe('credential_not_found');
      // The session the deleted passkey started ended with it.
      expect((await sessionCall(client, session, 'getAccount')).error?.data).toBe('session_invalid');
      const reply = await completeAuthentication(client, await initiateAuthentication(client), authenticator);
      expect(reply.error?.data).toBe('unknown_credential');
    });
  });
});
