import { randomUUID } from 'node:crypto';
import { describeForBackends } from '../support/backends.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import { createPassportClient } from '../support/passport-sdk.js';
import { open } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';

describeForBackends('the published @0xpass/passport SDK, unchanged', (backend) => {
  let harness: Harness;
  let scopeId: string;

  beforeAll(async () => {
    harness = await startGateway(backend);
    scopeId = (await harness.createScope()).scope_id;
  });
  afterAll(() => harness.close());

  /** The SDK as an app would set it up against this gateway, signing with a software authenticator. */
  const sdk = (authenticator: SoftAuthenticator, mode: 'webauthn-signer' | 'direct') =>
    createPassportClient({ url: harness.url, scopeId, publicKeyBase64: harness.publicKey, authenticator, origin: TEST_ORIGIN, mode });

  it.each(['webauthn-signer', 'direct'] as const)('should register() a passkey through its %s signer and get account_id and identifier_hash', async (mode) => {
    const passport = await sdk(new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' }), mode);
    const username = `sdk-${mode}-${randomUUID()}`;
    const reply = (await passport.register({ username, userDisplayName: 'SDK User' })) as { result: { account_id: string; identifier_hash: string } };
    expect(reply.result.account_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply.result.identifier_hash).toMatch(/^0x[0-9a-f]{64}$/);
    const account = await harness.gateway.stores.accounts.findAccountByUsername(scopeId, username);
    expect(account?.account_id).toBe(reply.result.account_id);
  });

  it.each(['webauthn-signer', 'direct'] as const)('should register() then authenticate() through its %s signer and get the address getAccount reports', async (mode) => {
    const passport = await sdk(new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' }), mode);
    const username = `sdk-auth-${mode}-${randomUUID()}`;
    await passport.register({ username, userDisplayName: username });
    const [headers, address] = (await passport.authenticate({ username, userDisplayName: username })) as [Record<string, string>, string];
    expect(address).toMatch(/^0x[0-9a-f]{40}$/);

    // The headers the SDK hands the app are enough for an authenticated call.
    const response = await fetch(harness.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getAccount', params: {} }),
    });
    const reply = (await response.json()) as { result: { encrypted_result: string } };
    const sdkKey = Buffer.from((passport as unknown as { aesKey: ArrayBuffer }).aesKey);
    const account = JSON.parse(open(sdkKey, reply.result.encrypted_result)) as { address: string; username: string };
    expect(account.address).toBe(address);
    expect(account.username).toBe(username.toLowerCase());
  });

  it('should surface a reason the SDK can show: registering an existing username fails with account_exists', async () => {
    const make = () =>
      sdk(new SoftAuthenticator({ algorithm: 'ES256', attestation: 'packed-self' }), 'direct');
    const username = `sdk-dup-${randomUUID()}`;
    await (await make()).register({ username, userDisplayName: username });
    await expect((await make()).register({ username, userDisplayName: username })).rejects.toThrow(/account_exists/);
  });
});
