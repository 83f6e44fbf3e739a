/**
 * The browser client's calls for apps with their own users and for recovery, in Node through the
 * real endpoint (everything short of the WebAuthn call): the session JWT it hands the app's backend,
 * and no recovery code spent where no passkey could be created.
 */
import { randomUUID } from 'node:crypto';
import { GatewayClient, GatewayClientError, type ClientStateStorage, type StoredClientState } from '../../src/client/index.js';
import { importAesKey } from '../../src/client/envelope-crypto.js';
import { GatewayServer } from '../../src/server/index.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { describeForBackends } from '../support/backends.js';
import { register } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';

/** Storage holding one record, as a browser's IndexedDB would after an earlier page load. */
class OneRecordStorage implements ClientStateStorage {
  constructor(public record?: StoredClientState) {}
  load(): Promise<StoredClientState | undefined> {
    return Promise.resolve(this.record);
  }
  save(_id: string, state: StoredClientState): Promise<void> {
    this.record = state;
    return Promise.resolve();
  }
  remove(_id: string, session: string): Promise<void> {
    if (this.record?.session === session) this.record = undefined;
    return Promise.resolve();
  }
}

describeForBackends('GatewayClient for apps with their own users, without a browser', (backend) => {
  let harness: Harness;
  let scopeId: string;
  beforeAll(async () => {
    harness = await startGateway(backend, { DEMO: 'off' });
    scopeId = (await harness.createScope()).scope_id;
  });
  afterAll(() => harness?.close());

  /** A registration through the protocol, stored as the browser client keeps it; its recovery codes. */
  async function storedRegistration() {
    const rpc = new RpcClient(harness.url, scopeId, harness.publicKey, TEST_ORIGIN);
    const username = `user-${randomUUID().slice(0, 8)}`;
    const result = (await register(rpc, new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' }), username)) as { account_id: string; encrypted_jwt: string; encrypted_recovery_codes?: string };
    const { codes } = rpc.openJson<{ codes: string[] }>(result.encrypted_recovery_codes);
    const stored = { publicKey: harness.publicKey, aesKey: await importAesKey(new Uint8Array(rpc.aesKey)), encryptedKey: rpc.encryptedKey, session: result.encrypted_jwt };
    return { stored, username, accountId: result.account_id, codes };
  }

  it("should hand the app's backend the session JWT, which the Node helper verifies as the account's", async () => {
    const { stored, accountId } = await storedRegistration();
    const client = new GatewayClient({ url: harness.url, scopeId, publicKey: harness.publicKey, storage: new OneRecordStorage(stored) });
    const jwt = await client.sessionJwt();
    const session = await new GatewayServer({ url: harness.url, scopeId, apiKey: 'not-used-offline' }).verifySession(jwt);
    expect(session.account_id).toBe(accountId);
    const signedOut = new GatewayClient({ url: harness.url, scopeId, publicKey: harness.publicKey, persist: false });
    await expect(signedOut.sessionJwt()).rejects.toMatchObject({ reason: 'not_signed_in' });
  });

  it('should spend no recovery code where no passkey could be created', async () => {
    const { username, accountId, codes } = await storedRegistration();
    const client = new GatewayClient({ url: harness.url, scopeId, publicKey: harness.publicKey, persist: false });
    const error = await client.recoverAccount({ username, code: codes[0]! }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayClientError);
    expect((error as GatewayClientError).reason).toBe('webauthn_unsupported');
    expect(await harness.gateway.stores.recoveryCodes.countRecoveryCodes(accountId)).toBe(10);
  });
});
