/**
 * The rest of the published @0xpass/passport SDK, unchanged: after authenticate(), getAddresses(),
 * signMessage(), signTypedData() and signTransaction(); and delegatedRegisterAccount() with the real
 * @0xpass/key-signer, then calls signed by that key. Every signature is recovered with viem, another
 * implementation than the gateway's (ethers encodes, libsecp256k1 signs), and compared with the
 * address of the session JWT.
 */
import { randomUUID } from 'node:crypto';
import { Passport } from '@0xpass/passport';
import { parseTransaction, recoverMessageAddress, recoverTransactionAddress, recoverTypedDataAddress, type Hex } from 'viem';
import { decodeJwt } from 'jose';
import { addDelegateKey } from '../../src/delegation/delegate-keys.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { open } from '../../scripts/lib/rpc-client.js';
import { describeForBackends } from '../support/backends.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import { createPassportClient } from '../support/passport-sdk.js';
import { eip1559Transaction, legacyTransaction, mailTypedData, newDelegateKey } from '../support/wallet.js';

/** What the SDK's call() resolves to: the JSON-RPC reply as the gateway sent it. */
interface Reply<T> {
  result?: T;
  error?: { code: number; message: string; data: string };
}

describeForBackends('the published @0xpass/passport SDK: wallet methods and delegated accounts', (backend) => {
  let harness: Harness;
  let scopeId: string;

  beforeAll(async () => {
    harness = await startGateway(backend);
    scopeId = (await harness.createScope({ wallet: 'on' })).scope_id;
  });
  afterAll(() => harness.close());

  /** A registered and signed-in SDK, with the address authenticate() answered and the one in its session JWT. */
  async function signedInSdk() {
    const passport = await createPassportClient({
      url: harness.url,
      scopeId,
      publicKeyBase64: harness.publicKey,
      authenticator: new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' }),
      origin: TEST_ORIGIN,
    });
    const username = `wallet-${randomUUID()}`;
    await passport.register({ username, userDisplayName: username });
    const [headers, address] = (await passport.authenticate({ username, userDisplayName: username })) as [Record<string, string>, string];
    const sdkKey = Buffer.from((passport as unknown as { aesKey: ArrayBuffer }).aesKey);
    const jwt = decodeJwt(open(sdkKey, headers['X-Encrypted-Session']!)) as { address: string; account_id: string };
    return { passport, address, jwt };
  }

  it('should answer getAddresses() with the session\'s address, and sign what signMessage(), signTypedData() and signTransaction() send', async () => {
    const { passport, address, jwt } = await signedInSdk();
    expect(address).toBe(jwt.address);

    const accounts = (await passport.getAddresses()) as unknown as Reply<string[]>;
    expect(accounts.result).toEqual([jwt.address]);

    const text = 'Sign in to Example: nonce 8f3a';
    const signed = (await passport.signMessage(text)) as Reply<Hex>;
    expect(signed.result).toMatch(/^0x[0-9a-f]{130}$/);
    expect((await recoverMessageAddress({ message: text, signature: signed.result! })).toLowerCase()).toBe(jwt.address);
    // A 0x string of hex pairs is signed as those bytes.
    const raw = '0xdeadbeef00ff';
    const signedRaw = (await passport.signMessage(raw)) as Reply<Hex>;
    expect((await recoverMessageAddress({ message: { raw }, signature: signedRaw.result! })).toLowerCase()).toBe(jwt.address);

    const typed = mailTypedData(1);
    const signedTyped = (await passport.signTypedData(typed)) as Reply<Hex>;
    const { EIP712Domain: _domain, ...types } = typed.types;
    const typedSigner = await recoverTypedDataAddress({ ...typed, types, primaryType: 'Mail', signature: signedTyped.result! });
    expect(typedSigner.toLowerCase()).toBe(jwt.address);

    const tx = (await passport.signTransaction(eip1559Transaction(1))) as Reply<Hex>;
    const parsed = parseTransaction(tx.result!);
    expect(parsed).toMatchObject({ type: 'eip1559', chainId: 1, nonce: 7, gas: 21000n, to: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', value: 10n ** 18n, data: '0xa9059cbb' });
    expect((await recoverTransactionAddress({ serializedTransaction: tx.result! as `0x02${string}` })).toLowerCase()).toBe(jwt.address);

    const legacy = (await passport.signTransaction(legacyTransaction(137))) as Reply<Hex>;
    expect(parseTransaction(legacy.result!)).toMatchObject({ type: 'legacy', chainId: 137, nonce: 3, gasPrice: 20_000_000_000n, value: 1000n });
    expect((await recoverTransactionAddress({ serializedTransaction: legacy.result! as never })).toLowerCase()).toBe(jwt.address);
  });

  it('should create an account with delegatedRegisterAccount() and the real @0xpass/key-signer, and sign for it with the same key', async () => {
    const delegate = newDelegateKey();
    const scope = await harness.createScope({ wallet: 'on' });
    await addDelegateKey(harness.gateway.stores.delegates, { scopeId: scope.scope_id, publicKey: delegate.publicKey, name: 'app backend', now: Date.now() });
    const passport = new Passport({ scopeId: scope.scope_id, signer: delegate.signer, network: harness.url as never, enclavePublicKey: harness.publicKey });
    await passport.setupEncryption();

    const username = `delegated-${randomUUID()}`;
    // The signed user carries issued_at, which the gateway checks: the SDK passes params through as they are.
    const user = { username, issued_at: Date.now() };
    const created = (await passport.delegatedRegisterAccount(user)) as Reply<{ account_id: string; identifier_hash: string }>;
    expect(created.error).toBeUndefined();
    expect(created.result?.account_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.result?.identifier_hash).toMatch(/^0x[0-9a-f]{64}$/);
    const account = await harness.gateway.stores.accounts.getAccount(created.result!.account_id);
    expect(account?.username).toBe(username.toLowerCase());

    // Without a session the SDK signs X-Encrypted-User with the key and sends X-Encrypted-Key-Signature.
    passport.setUserData(user);
    const accounts = (await passport.getAddresses()) as unknown as Reply<string[]>;
    expect(accounts.result).toEqual([account!.address]);
    const message = 'delegated hello';
    const signed = (await passport.signMessage(message)) as Reply<Hex>;
    expect((await recoverMessageAddress({ message, signature: signed.result! })).toLowerCase()).toBe(account!.address);
    const tx = (await passport.signTransaction(eip1559Transaction(10))) as Reply<Hex>;
    expect((await recoverTransactionAddress({ serializedTransaction: tx.result! as `0x02${string}` })).toLowerCase()).toBe(account!.address);
  });
});
