import { GatewayClient, GatewayClientError, describeError, type ClientStateStorage, type StoredClientState } from '../../src/client/index.js';
import { importAesKey } from '../../src/client/envelope-crypto.js';
import { randomUUID } from 'node:crypto';
import { errorTable } from '../../src/errors/gateway-error.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { register, sessionCall, signIn } from '../support/ceremonies.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';

/** Storage holding one record, whatever id the client asks for, with a log of what was asked. */
class OneRecordStorage implements ClientStateStorage {
  readonly calls: string[] = [];
  constructor(public record?: StoredClientState) {}
  load(): Promise<StoredClientState | undefined> {
    this.calls.push('load');
    return Promise.resolve(this.record);
  }
  save(_id: string, state: StoredClientState): Promise<void> {
    this.calls.push('save');
    this.record = state;
    return Promise.resolve();
  }
  remove(_id: string, session: string): Promise<void> {
    this.calls.push('remove');
    if (this.record?.session === session) this.record = undefined;
    return Promise.resolve();
  }
}

/** What the client does in Node, through the real endpoint: everything short of the WebAuthn call. */
describe('GatewayClient without a browser', () => {
  let harness: Harness;
  let scopeId: string;
  // The gateway's clock runs this far ahead of the real one; it only ever moves forward.
  let clockAhead = 0;
  beforeAll(async () => {
    harness = await startGateway('embedded', { DEMO: 'off' }, { now: () => Date.now() + clockAhead });
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

  /**
   * A session registered through the protocol client (with a software authenticator), stored as a
   * browser client would have stored it on an earlier page load: its AES key and the sealed session.
   */
  async function storedRegistration(): Promise<{ stored: StoredClientState; username: string; authenticator: SoftAuthenticator }> {
    const rpc = new RpcClient(harness.url, scopeId, harness.publicKey);
    const authenticator = new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });
    const username = `user-${randomUUID().slice(0, 8)}`;
    const { encrypted_jwt } = await register(rpc, authenticator, username);
    const stored = { publicKey: harness.publicKey, aesKey: await importAesKey(new Uint8Array(rpc.aesKey)), encryptedKey: rpc.encryptedKey, session: encrypted_jwt };
    return { stored, username, authenticator };
  }

  it('should be signed in from storage once ready, and end every session of the account with signOut({everywhere})', async () => {
    const { stored, username, authenticator } = await storedRegistration();
    const storage = new OneRecordStorage(stored);
    const client = new GatewayClient({ url: harness.url, scopeId, publicKey: harness.publicKey, storage });
    await client.ready();
    expect(client.signedIn).toBe(true);
    expect((await client.getAccount()).username).toBe(username);

    // The same account signed in on another device.
    const elsewhere = new RpcClient(harness.url, scopeId, harness.publicKey);
    const otherSession = await signIn(elsewhere, authenticator, username);
    expect((await sessionCall(elsewhere, otherSession, 'getAccount')).error).toBeUndefined();

    await client.signOut({ everywhere: true });
    expect(client.signedIn).toBe(false);
    expect(storage.record).toBeUndefined();
    expect((await sessionCall(elsewhere, otherSession, 'getAccount')).error?.data).toBe('session_invalid');
    // Without a session there is nothing to end everywhere with.
    expect(await reasonOf(client.signOut({ everywhere: true }))).toBe('not_signed_in');
  });

  it('should change the display name where there is no Signal API, and decline an automatic upgrade where there is no browser', async () => {
    const { stored } = await storedRegistration();
    const client = new GatewayClient({ url: harness.url, scopeId, publicKey: harness.publicKey, storage: new OneRecordStorage(stored) });
    await expect(client.updateDisplayName('  Carol ')).resolves.toEqual({ display_name: 'Carol' });
    expect((await client.getAccount()).display_name).toBe('Carol');
    // Nothing can be created without a prompt here: it says so rather than asking the gateway for a ceremony.
    await expect(client.upgradeToPasskey()).resolves.toBe(false);
    expect(await reasonOf(client.updateDisplayName(''))).toBe('invalid_params');
  });

  it('should forget a stored session the gateway refuses, here and in storage', async () => {
    const { stored } = await storedRegistration();
    const storage = new OneRecordStorage(stored);
    // Signed out at the gateway by another client holding the same key (another tab of the page).
    const tab = new GatewayClient({ url: harness.url, scopeId, publicKey: harness.publicKey, storage: new OneRecordStorage({ ...stored }) });
    await tab.signOut();

    const client = new GatewayClient({ url: harness.url, scopeId, publicKey: harness.publicKey, storage });
    await client.ready();
    expect(client.signedIn).toBe(true);
    expect(await reasonOf(client.listCredentials())).toBe('session_invalid');
    expect(client.signedIn).toBe(false);
    expect(storage.record).toBeUndefined();
  });

  it("should discard what is stored when the gateway's public key changed", async () => {
    const { stored } = await storedRegistration();
    const storage = new OneRecordStorage({ ...stored, publicKey: 'the key before a rotation' });
    const client = new GatewayClient({ url: harness.url, scopeId, publicKey: harness.publicKey, storage });
    await client.ready();
    expect(client.signedIn).toBe(false);
    expect(storage.record).toBeUndefined();
  });

  it('should answer reauthentication_required by asking for a passkey of the same account', async () => {
    const { stored, username } = await storedRegistration();
    const asked: string[] = [];
    const sent: string[] = [];
    const client = new GatewayClient({
      url: harness.url,
      scopeId,
      publicKey: harness.publicKey,
      storage: new OneRecordStorage(stored),
      onReauthenticate: (action) => asked.push(action),
      fetch: async (url, init) => {
        sent.push((JSON.parse(init.body) as { method: string }).method);
        return fetch(url, init);
      },
    });
    const [passkey] = await client.listCredentials();
    clockAhead += 301_000;
    // Node has no WebAuthn, so the sign-in stops at the passkey prompt; the change was not made.
    expect(await reasonOf(client.deleteCredential(passkey!.credential_id))).toBe('webauthn_unsupported');
    expect(asked).toEqual(['deleteCredential']);
    expect(sent).toEqual(['listCredentials', 'deleteCredential', 'getAccount', 'initiateAuthentication']);
    expect(client.signedIn).toBe(true);
    expect((await client.getAccount()).username).toBe(username);
  });

  it('should make any session call with call(), its result opened, and ask for the passkey when the change wants a recent sign-in', async () => {
    const { stored, username } = await storedRegistration();
    const asked: string[] = [];
    const client = new GatewayClient({ url: harness.url, scopeId, publicKey: harness.publicKey, storage: new OneRecordStorage(stored), onReauthenticate: (action) => asked.push(action) });
    await expect(client.call<{ username: string }>('getAccount')).resolves.toMatchObject({ username });
    const { credentials } = await client.call<{ credentials: Array<{ credential_id: string }> }>('listCredentials');
    clockAhead += 301_000;
    expect(await reasonOf(client.call('deleteCredential', { credential_id: credentials[0]!.credential_id }))).toBe('webauthn_unsupported');
    expect(asked).toEqual(['call']);
    // A method that is not there, or not for a session, is the gateway's reason as usual.
    expect(await reasonOf(client.call('noSuchMethod'))).toBe('method_not_found');
  });

  it('should not touch storage with persist: false', async () => {
    const { stored } = await storedRegistration();
    const storage = new OneRecordStorage(stored);
    const client = new GatewayClient({ url: harness.url, scopeId, publicKey: harness.publicKey, storage, persist: false });
    await client.ready();
    expect(client.signedIn).toBe(false);
    expect(await reasonOf(client.getAccount())).toBe('not_signed_in');
    expect(storage.calls).toEqual([]);
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
