import { GatewayClient, GatewayClientError, describeError } from '../../src/client/index.js';
import { errorTable } from '../../src/errors/gateway-error.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';

/** What the client does in Node, through the real endpoint: everything short of the WebAuthn call. */
describe('GatewayClient without a browser', () => {
  let harness: Harness;
  let scopeId: string;
  beforeAll(async () => {
    harness = await startGateway('embedded', { DEMO: 'off' });
    scopeId = (await harness.createScope()).scope_id;
  });
  afterAll(() => harness.close());

  async function reasonOf(promise: Promise<unknown>): Promise<string> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatewayClientError);
    return (error as GatewayClientError).reason;
  }

  it("should carry the server's reason for a refused call", async () => {
    const client = new GatewayClient({ url: harness.url, scopeId: '00000000-0000-4000-8000-000000000000', publicKey: harness.publicKey });
    const error = await client.signIn({ username: 'alice' }).catch((e: GatewayClientError) => e);
    expect(error).toMatchObject({ reason: 'scope_not_found', code: errorTable.scope_not_found.code, method: 'initiateAuthentication' });
    expect(describeError(error)).toMatch(/scope the gateway does not know/);
  });

  it('should get through the encrypted initiate call and stop where WebAuthn is missing', async () => {
    const client = new GatewayClient({ url: harness.url, scopeId, publicKey: harness.publicKey });
    expect(await reasonOf(client.signIn({ username: 'alice' }))).toBe('webauthn_unsupported');
    expect(await reasonOf(client.register({ username: 'bob' }))).toBe('webauthn_unsupported');
  });

  it('should refuse account calls before a sign-in, and treat sign-out as done', async () => {
    const client = new GatewayClient({ url: harness.url, scopeId, publicKey: harness.publicKey });
    expect(await reasonOf(client.getAccount())).toBe('not_signed_in');
    await expect(client.signOut()).resolves.toBeUndefined();
  });

  it('should report an unreachable gateway as network_error', async () => {
    const client = new GatewayClient({ url: 'http://127.0.0.1:9/', scopeId, publicKey: harness.publicKey });
    expect(await reasonOf(client.signIn())).toBe('network_error');
  });

  it('should have a human message for every reason the gateway can send', () => {
    for (const reason of Object.keys(errorTable)) {
      expect(describeError(new GatewayClientError(reason, reason))).not.toMatch(/Something went wrong\. Please/);
    }
  });
});
