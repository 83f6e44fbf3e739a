import { randomUUID } from 'node:crypto';
import { open } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { createKey, serverCall } from '../api-keys/server-rpc.js';
import { describeForBackends } from '../support/backends.js';
import { TEST_ORIGIN } from '../support/gateway-harness.js';
import { createPassportClient } from '../support/passport-sdk.js';
import { startTokenGateway } from '../support/token-ceremonies.js';

/**
 * The published SDK's register(), unchanged, carrying a registration token: the SDK seals whatever
 * user object it is given as encrypted_user, so an app passes `registration_token` beside the
 * username the SDK's type asks for.
 */
describeForBackends('the published @0xpass/passport SDK with a registration token', (backend) => {
  const clock = { now: Date.now() };
  let gateway: Awaited<ReturnType<typeof startTokenGateway>>;
  let scopeId: string;
  let apiKey: string;

  beforeAll(async () => {
    gateway = await startTokenGateway(backend, clock);
    scopeId = (await gateway.harness.createScope()).scope_id;
    apiKey = (await createKey(gateway.harness.url, gateway.adminToken, scopeId)).secret;
  });
  afterAll(() => gateway.close());

  it.each(['webauthn-signer', 'direct'] as const)("should register() through its %s signer to the app's user_id, once", async (mode) => {
    const userId = `app-${randomUUID()}`;
    const created = await serverCall<{ registration_token: string }>(gateway.harness.url, 'createRegistrationToken', { user_id: userId, display_name: 'Grace' }, apiKey);
    const registrationToken = created.result!.registration_token;
    const sdk = () =>
      createPassportClient({
        url: gateway.harness.url,
        scopeId,
        publicKeyBase64: gateway.harness.publicKey,
        authenticator: new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' }),
        origin: TEST_ORIGIN,
        mode,
      });
    const passport = await sdk();
    const user = { username: 'grace', userDisplayName: 'Grace', registration_token: registrationToken, device_name: 'SDK device' };
    const reply = (await passport.register(user)) as { result: { account_id: string; user_id: string; encrypted_jwt: string } };
    expect(reply.result.user_id).toBe(userId);
    const account = await gateway.harness.gateway.stores.accounts.findAccountByUserId(scopeId, userId);
    expect(account?.account_id).toBe(reply.result.account_id);
    expect((await gateway.harness.gateway.stores.accounts.listCredentials(reply.result.account_id)).map((credential) => credential.name)).toEqual(['SDK device']);
    const sdkKey = Buffer.from((passport as unknown as { aesKey: ArrayBuffer }).aesKey);
    expect(open(sdkKey, reply.result.encrypted_jwt).split('.')).toHaveLength(3);
    // The token is used up: the SDK surfaces the reason.
    await expect((await sdk()).register(user)).rejects.toThrow(/token_invalid/);
  });
});
