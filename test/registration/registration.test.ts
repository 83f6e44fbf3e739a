import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeForBackends } from '../support/backends.js';
import { completeRegistration, initiateRegistration, register } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { seal, RpcClient } from '../../scripts/lib/rpc-client.js';

const platform = () => new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });

describeForBackends('registration through the real endpoint', (backend) => {
  let harness: Harness;
  let scopeId: string;
  const newClient = (scope = scopeId, origin?: string) => new RpcClient(harness.url, scope, harness.publicKey, origin);

  beforeAll(async () => {
    harness = await startGateway(backend);
    scopeId = (await harness.createScope()).scope_id;
  });
  afterAll(() => harness.close());

  describe.each([
    ['ES256', 'none'],
    ['ES256', 'packed-self'],
    ['EdDSA', 'none'],
    ['EdDSA', 'packed-self'],
  ] as const)('with a %s authenticator and %s attestation', (algorithm, attestation) => {
    it('should register a passkey and return the account id and identifier hash', async () => {
      const client = newClient();
      const username = `user-${algorithm}-${attestation}-${randomUUID()}`;
      const started = await initiateRegistration(client, username, 'Some Body');
      expect(started.options.rp.id).toBe('localhost');
      expect(started.options.user.name).toBe(username);
      expect(started.options.user.displayName).toBe('Some Body');
      // The user handle is 32 random bytes, never the username.
      expect(Buffer.from(started.options.user.id, 'base64url')).toHaveLength(32);
      expect(started.options.authenticatorSelection?.userVerification).toBe('required');

      const reply = await completeRegistration(client, started, new SoftAuthenticator({ algorithm, attestation }));
      expect(reply.error).toBeUndefined();
      expect(reply.result?.account_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(reply.result?.identifier_hash).toMatch(/^0x[0-9a-f]{64}$/);

      const account = await harness.gateway.stores.accounts.findAccountByUsername(scopeId, username.toLowerCase());
      expect(account?.account_id).toBe(reply.result?.account_id);
      const credentials = await harness.gateway.stores.accounts.listCredentials(String(reply.result?.account_id));
      expect(credentials).toHaveLength(1);
      expect(credentials[0]?.algorithm).toBe(algorithm === 'ES256' ? -7 : -8);
      expect(credentials[0]?.transports).toEqual(['internal']);
    });
  });

  it('should compute identifier_hash as HMAC-SHA256(secret, scope id + username): stable in a scope, different across scopes', async () => {
    const secret = Buffer.from(readFileSync(join(harness.dataDir, 'identifier-secret'), 'utf8').trim(), 'base64');
    const otherScope = (await harness.createScope({ name: 'other' })).scope_id;
    const username = `hash-${randomUUID()}`;
    const first = await register(newClient(), platform(), username);
    const second = await register(newClient(otherScope), platform(), username);
    const expected = (scope: string) => `0x${createHmac('sha256', secret).update(scope + username).digest('hex')}`;
    expect(first.identifier_hash).toBe(expected(scopeId));
    expect(second.identifier_hash).toBe(expected(otherScope));
    expect(first.identifier_hash).not.toBe(second.identifier_hash);
  });

  it('should refuse a username that already has an account, compared case-insensitively after NFKC: account_exists', async () => {
    const username = `Ｄｕｐｅ-${randomUUID()}`; // full-width letters normalize to "Dupe"
    await register(newClient(), platform(), username);
    const reply = await newClient().call('initiateRegistration', { encrypted_user: newClient().seal({}) });
    expect(reply.error?.data).toBe('envelope_invalid'); // sealed under another client's key
    const again = newClient();
    const dup = await again.call('initiateRegistration', { encrypted_user: again.seal({ username: `  ${username.normalize('NFKC').toUpperCase()} ` }) });
    expect(dup.error).toMatchObject({ code: -32010, data: 'account_exists' });
  });

  it('should consume a challenge exactly once when ten completions arrive at once', async () => {
    const client = newClient();
    const started = await initiateRegistration(client, `race-${randomUUID()}`);
    const authenticator = platform();
    const attestation = client.seal(authenticator.createCredential(started.options, TEST_ORIGIN));
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        client.call('completeRegistration', { challenge_id: started.challengeId, encrypted_attestation: attestation, encrypted_user: started.encryptedUser }),
      ),
    );
    expect(replies.filter((reply) => reply.result !== undefined)).toHaveLength(1);
    expect(replies.filter((reply) => reply.error?.data === 'challenge_not_found')).toHaveLength(9);
  });

  it('should create exactly one account when two registrations of one username race', async () => {
    const username = `twin-${randomUUID()}`;
    const clients = [newClient(), newClient()];
    const started = await Promise.all(clients.map((client) => initiateRegistration(client, username)));
    const replies = await Promise.all(clients.map((client, i) => completeRegistration(client, started[i]!, platform())));
    expect(replies.filter((reply) => reply.result !== undefined)).toHaveLength(1);
    expect(replies.filter((reply) => reply.error?.data === 'account_exists')).toHaveLength(1);
  });

  describe('error reasons', () => {
    it('should answer envelope_invalid for a bad key header, a bad user envelope and a bad X-Encrypted-User header', async () => {
      const client = newClient();
      const user = client.seal({ username: 'someone' });
      for (const headers of [{ 'x-encrypted-key': 'bm90IGEga2V5' }, { 'x-encrypted-key': undefined }, { 'x-encrypted-user': seal(Buffer.alloc(32), 'null') }]) {
        expect((await client.call('initiateRegistration', { encrypted_user: user }, headers)).error).toMatchObject({ code: -32001, data: 'envelope_invalid' });
      }
      const tampered = Buffer.from(user, 'base64');
      tampered[20] = tampered[20]! ^ 1;
      const reply = await client.call('initiateRegistration', { encrypted_user: tampered.toString('base64') });
      expect(reply.error).toEqual({ code: -32001, message: 'Encrypted payload could not be opened', data: 'envelope_invalid' });
    });

    it('should answer scope_required, scope_not_found and origin_not_allowed', async () => {
      const client = newClient();
      const params = { encrypted_user: client.seal({ username: 'someone' }) };
      expect((await client.call('initiateRegistration', params, { 'x-scope-id': undefined })).error?.data).toBe('scope_required');
      expect((await client.call('initiateRegistration', params, { 'x-scope-id': 'not-a-uuid' })).error?.data).toBe('scope_required');
      expect((await client.call('initiateRegistration', params, { 'x-scope-id': randomUUID() })).error?.data).toBe('scope_not_found');
      expect((await client.call('initiateRegistration', params, { origin: 'https://evil.example' })).error?.data).toBe('origin_not_allowed');
      expect((await client.call('initiateRegistration', params, { origin: TEST_ORIGIN })).result?.challenge_id).toBeDefined();
    });

    it('should answer invalid_params for missing or malformed params and user data', async () => {
      const client = newClient();
      const cases: unknown[] = [
        {},
        { encrypted_user: 42 },
        { encrypted_user: client.seal({ username: '   ' }) },
        { encrypted_user: client.seal({ username: 'x'.repeat(257) }) },
        { encrypted_user: client.seal({ username: 'bad\u0000name' }) },
        { encrypted_user: client.seal('not an object') },
        [client.seal({ username: 'positional' })],
      ];
      for (const params of cases) {
        expect((await client.call('initiateRegistration', params)).error).toMatchObject({ code: -32602, data: 'invalid_params' });
      }
    });

    it('should answer challenge_not_found for an unknown, replayed or expired challenge', async () => {
      const client = newClient();
      const unknown = await client.call('completeRegistration', { challenge_id: randomUUID(), encrypted_attestation: client.seal({}), encrypted_user: client.seal({ username: 'u' }) });
      expect(unknown.error?.data).toBe('challenge_not_found');

      const started = await initiateRegistration(client, `replay-${randomUUID()}`);
      const authenticator = platform();
      expect((await completeRegistration(client, started, authenticator)).result).toBeDefined();
      expect((await completeRegistration(client, started, authenticator)).error?.data).toBe('challenge_not_found');

      const shortScope = await harness.createScope({ name: 'short', timeout_ms: 10_000 });
      const shortClient = newClient(shortScope.scope_id);
      const expiring = await initiateRegistration(shortClient, `expire-${randomUUID()}`);
      // Expire it the way time would: the store forgets it.
      await harness.gateway.stores.challenges.consume(expiring.challengeId);
      expect((await completeRegistration(shortClient, expiring, platform())).error?.data).toBe('challenge_not_found');
    });

    it('should consume the challenge on a failed attempt too', async () => {
      const client = newClient();
      const started = await initiateRegistration(client, `failed-${randomUUID()}`);
      expect((await completeRegistration(client, started, platform(), { clientData: { origin: 'https://evil.example' } })).error?.data).toBe('verification_failed');
      expect((await completeRegistration(client, started, platform())).error?.data).toBe('challenge_not_found');
    });

    it('should answer challenge_mismatch for another client key, another username or another scope', async () => {
      const username = `mismatch-${randomUUID()}`;
      const owner = newClient();
      const thief = newClient();
      const started = await initiateRegistration(owner, username);
      const reply = await thief.call('completeRegistration', {
        challenge_id: started.challengeId,
        encrypted_attestation: thief.seal(platform().createCredential(started.options, TEST_ORIGIN)),
        encrypted_user: thief.seal({ username }),
      });
      expect(reply.error).toMatchObject({ code: -32012, data: 'challenge_mismatch' });

      const other = await initiateRegistration(owner, `${username}-2`);
      const renamed = await owner.call('completeRegistration', {
        challenge_id: other.challengeId,
        encrypted_attestation: owner.seal(platform().createCredential(other.options, TEST_ORIGIN)),
        encrypted_user: owner.seal({ username: `${username}-3` }),
      });
      expect(renamed.error?.data).toBe('challenge_mismatch');

      const otherScope = await harness.createScope({ name: 'elsewhere' });
      const third = await initiateRegistration(owner, `${username}-4`);
      const crossScope = await owner.call(
        'completeRegistration',
        { challenge_id: third.challengeId, encrypted_attestation: owner.seal(platform().createCredential(third.options, TEST_ORIGIN)), encrypted_user: third.encryptedUser },
        { 'x-scope-id': otherScope.scope_id },
      );
      expect(crossScope.error?.data).toBe('challenge_mismatch');
    });

    it.each([
      ['a wrong origin', { clientData: { origin: 'https://evil.example' } }],
      ['a wrong challenge', { clientData: { challenge: Buffer.from('forged').toString('base64url') } }],
      ['a wrong ceremony type', { clientData: { type: 'webauthn.get' } }],
      ['another RP id', { rpIdHashOf: 'evil.example' }],
      ['no user verification where the scope requires it', { userVerified: false }],
      ['no user presence', { userPresent: false }],
    ])('should answer verification_failed for %s', async (_label, overrides) => {
      const client = newClient();
      const started = await initiateRegistration(client, `verify-${randomUUID()}`);
      const reply = await completeRegistration(client, started, platform(), overrides);
      expect(reply.error).toEqual({ code: -32013, message: 'Passkey verification failed', data: 'verification_failed' });
    });

    it('should answer verification_failed for a bad self-attestation signature', async () => {
      const client = newClient();
      const started = await initiateRegistration(client, `badsig-${randomUUID()}`);
      const reply = await completeRegistration(client, started, new SoftAuthenticator({ algorithm: 'ES256', attestation: 'packed-self' }), { corruptSignature: true });
      expect(reply.error?.data).toBe('verification_failed');
    });

    it('should register without user verification when the scope prefers it', async () => {
      const relaxed = await harness.createScope({ name: 'relaxed', user_verification: 'preferred' });
      const client = newClient(relaxed.scope_id);
      const key = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', userVerification: false, residentKey: false, attachment: 'cross-platform' });
      const reply = await completeRegistration(client, await initiateRegistration(client, `u2f-${randomUUID()}`), key);
      expect(reply.result?.account_id).toBeDefined();
    });

    it('should answer credential_exists when a credential id is registered again in the scope, leaving no account behind', async () => {
      const client = newClient();
      const first = await initiateRegistration(client, `cred-a-${randomUUID()}`);
      const authenticator = platform();
      await completeRegistration(client, first, authenticator);
      const credentialId = authenticator.credentials[0]!.id;
      const secondName = `cred-b-${randomUUID()}`;
      const second = await initiateRegistration(client, secondName);
      const reply = await completeRegistration(client, second, platform(), { credentialId });
      expect(reply.error).toMatchObject({ code: -32014, data: 'credential_exists' });
      expect(await harness.gateway.stores.accounts.findAccountByUsername(scopeId, secondName)).toBeNull();
    });
  });
});

describe('registration when a backing service is down', () => {
  it('should answer service_unavailable rather than an internal error', async () => {
    const harness = await startGateway('embedded', { REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const scope = await harness.createScope();
      const client = new RpcClient(harness.url, scope.scope_id, harness.publicKey);
      const reply = await client.call('initiateRegistration', { encrypted_user: client.seal({ username: 'nobody' }) });
      expect(reply.error).toMatchObject({ code: -32050, data: 'service_unavailable' });
    } finally {
      await harness.close();
    }
  });
});
