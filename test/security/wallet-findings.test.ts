/**
 * The findings of the wallet review, each through the real endpoint on both store pairs: who else
 * could make the account key sign, with which stolen or guessed piece (a session, a session under
 * another client key, an address, a chain, a delegate key signature seen once), and what each
 * refusal tells them.
 */
import { randomUUID, verify, createPublicKey } from 'node:crypto';
import { hashMessage, hashTypedData, recoverMessageAddress, recoverTransactionAddress, type Hex } from 'viem';
import { decodeJwt } from 'jose';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { open, RpcClient, seal, type JsonRpcReply } from '../../scripts/lib/rpc-client.js';
import { addDelegateKey } from '../../src/delegation/delegate-keys.js';
import type { Scope, ScopeSettingsInput } from '../../src/domain/scope.js';
import { describeForBackends, type TestBackend } from '../support/backends.js';
import { completeAuthentication, initiateAuthentication, register, signIn } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import { delegatedRegistrationParams, keySignatureHeaders, keySigned, malleablePair, signWith } from '../support/key-signatures.js';
import { eip1559Transaction, legacyTransaction, mailTypedData, newDelegateKey, type DelegateKeyPair } from '../support/wallet.js';

const openEnv = { TRUST_PROXY_HOPS: '1', RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_USER_PER_MINUTE: '0', RATE_LIMIT_SIGNING_PER_MINUTE: '0' };
const OTHER_ADDRESS = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

describeForBackends('wallet review findings, through the real endpoint', (backend: TestBackend) => {
  let harness: Harness;
  let clock = Date.now();

  beforeAll(async () => {
    harness = await startGateway(backend, openEnv, { now: () => clock });
  });
  afterAll(() => harness.close());
  beforeEach(() => {
    clock = Date.now();
  });

  const walletScope = (settings: Partial<ScopeSettingsInput> = {}) => harness.createScope({ wallet: 'on', ...settings });
  const newClient = (scope: Scope) => new RpcClient(harness.url, scope.scope_id, harness.publicKey);

  async function signedInUser(scope: Scope, authenticator = new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' })) {
    const client = newClient(scope);
    const username = `user-${randomUUID().slice(0, 8)}`;
    await register(client, authenticator, username);
    const session = await signIn(client, authenticator, username);
    const claims = decodeJwt(open(client.aesKey, session)) as { address: string; account_id: string; uv?: boolean };
    const call = (method: string, params: unknown, as = session) => client.call(method, params, { 'x-encrypted-session': as });
    return { client, username, authenticator, session, claims, call };
  }

  /** A scope with this delegate key registered (and wallet on unless `settings` says otherwise). */
  async function delegateScope(delegate: DelegateKeyPair, settings: Partial<ScopeSettingsInput> = {}) {
    const scope = await walletScope(settings);
    await addDelegateKey(harness.gateway.stores.delegates, { scopeId: scope.scope_id, publicKey: delegate.publicKey, name: null, now: clock });
    return scope;
  }

  /** An account the delegate key created, and a way to call as it. */
  async function delegatedAccount(delegate: DelegateKeyPair, scope: Scope) {
    const client = newClient(scope);
    const username = `delegated-${randomUUID().slice(0, 8)}`;
    const created = await client.call('delegatedRegistration', delegatedRegistrationParams(client, await keySigned(client, delegate, { username, issued_at: clock })));
    expect(created.error).toBeUndefined();
    const accountId = String(created.result?.account_id);
    const account = (await harness.gateway.stores.accounts.getAccount(accountId))!;
    const call = async (method: string, params: unknown, user: unknown = { username, issued_at: clock }, key = delegate) =>
      client.call(method, params, keySignatureHeaders(client, await keySigned(client, key, user)));
    return { client, username, accountId, address: account.address, call };
  }

  const result = <T>(reply: JsonRpcReply) => reply.result as unknown as T;
  const reason = (reply: JsonRpcReply) => reply.error?.data;

  it('wallet off: the wallet methods do not exist in a scope that has not turned them on', async () => {
    const off = await harness.createScope();
    expect(off.wallet).toBe('off');
    const user = await signedInUser(off);
    for (const [method, params] of [
      ['eth_requestAccounts', []],
      ['personal_sign', ['hello', user.claims.address]],
      ['eth_signTypedData_v4', [user.claims.address, mailTypedData(1)]],
      ['eth_signTransaction', [eip1559Transaction(1)]],
    ] as const) {
      expect((await user.call(method, params)).error).toMatchObject({ code: -32601, data: 'method_not_found' });
    }
    // Turned on, the same session signs; the answer is plain, while other session methods stay sealed.
    await harness.gateway.stores.scopes.updateScope(off.scope_id, { wallet: 'on' });
    await harness.gateway.scopes.refresh();
    expect(result<string[]>(await user.call('eth_requestAccounts', []))).toEqual([user.claims.address]);
    expect((await user.call('getAccount', {})).result).toHaveProperty('encrypted_result');
  });

  it('a stolen session signs only within signing_window_s of its passkey sign-in', async () => {
    const scope = await walletScope();
    const user = await signedInUser(scope);
    expect(result<Hex>(await user.call('personal_sign', ['hello', user.claims.address]))).toMatch(/^0x[0-9a-f]{130}$/);
    clock += 301_000;
    for (const [method, params] of [
      ['personal_sign', ['hello', user.claims.address]],
      ['eth_signTypedData_v4', [user.claims.address, mailTypedData(1)]],
      ['eth_signTransaction', [eip1559Transaction(1)]],
    ] as const) {
      expect((await user.call(method, params)).error).toMatchObject({ code: -32025, data: 'reauthentication_required' });
    }
    // Reading the address needs no fresh sign-in; a fresh sign-in signs again.
    expect(result<string[]>(await user.call('eth_requestAccounts', []))).toEqual([user.claims.address]);
    const fresh = await signIn(user.client, user.authenticator, user.username);
    expect(result<Hex>(await user.call('personal_sign', ['hello'], fresh))).toMatch(/^0x/);
    // A scope may give a longer window.
    const patient = await walletScope({ signing_window_s: 3600 });
    const other = await signedInUser(patient);
    clock += 1800_000;
    expect(result<Hex>(await other.call('personal_sign', ['hello']))).toMatch(/^0x/);
  });

  it('a sign-in that did not verify the user cannot sign in a scope that requires user verification', async () => {
    const scope = await walletScope({ user_verification: 'preferred' });
    const user = await signedInUser(scope, new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none', userVerification: false }));
    expect(user.claims.uv).toBe(false);
    expect(result<Hex>(await user.call('personal_sign', ['hello']))).toMatch(/^0x/);
    await harness.gateway.stores.scopes.updateScope(scope.scope_id, { user_verification: 'required' });
    await harness.gateway.scopes.refresh();
    expect(reason(await user.call('personal_sign', ['hello']))).toBe('reauthentication_required');
    // A sign-in that verifies the user signs.
    const verified = await completeAuthentication(user.client, await initiateAuthentication(user.client, user.username), user.authenticator, { userVerified: true });
    const session = String(verified.result?.encrypted_jwt);
    expect((decodeJwt(open(user.client.aesKey, session)) as { uv: boolean }).uv).toBe(true);
    expect(result<Hex>(await user.call('personal_sign', ['hello'], session))).toMatch(/^0x/);
  });

  it('a session re-sealed under another client key cannot use the account key', async () => {
    const scope = await walletScope();
    const user = await signedInUser(scope);
    const stranger = newClient(scope);
    const resealed = seal(stranger.aesKey, open(user.client.aesKey, user.session));
    for (const [method, params] of [
      ['eth_requestAccounts', []],
      ['personal_sign', ['hello']],
      ['eth_signTypedData_v4', [user.claims.address, mailTypedData(1)]],
      ['eth_signTransaction', [eip1559Transaction(1)]],
    ] as const) {
      expect(reason(await stranger.call(method, params, { 'x-encrypted-session': resealed }))).toBe('session_invalid');
    }
    // Without any session header at all, the same.
    expect(reason(await stranger.call('personal_sign', ['hello']))).toBe('session_invalid');
  });

  it("another account's address is refused with address_mismatch; the SDK's zero address means the account's own", async () => {
    const scope = await walletScope();
    const user = await signedInUser(scope);
    expect(reason(await user.call('personal_sign', ['hello', OTHER_ADDRESS]))).toBe('address_mismatch');
    expect(reason(await user.call('eth_signTypedData_v4', [OTHER_ADDRESS, mailTypedData(1)]))).toBe('address_mismatch');
    expect(reason(await user.call('eth_signTransaction', [eip1559Transaction(1, { from: OTHER_ADDRESS })]))).toBe('address_mismatch');
    const signature = result<Hex>(await user.call('personal_sign', ['hello', ZERO_ADDRESS]));
    expect((await recoverMessageAddress({ message: 'hello', signature })).toLowerCase()).toBe(user.claims.address);
    // `from` in any case is the account's own.
    const tx = result<Hex>(await user.call('eth_signTransaction', [eip1559Transaction(1, { from: user.claims.address.toUpperCase().replace('0X', '0x') })]));
    expect((await recoverTransactionAddress({ serializedTransaction: tx as never })).toLowerCase()).toBe(user.claims.address);
  });

  it('a chain the scope does not allow is refused with chain_not_allowed, typed data without a chain id too', async () => {
    const scope = await walletScope({ allowed_chain_ids: [1, 10] });
    const user = await signedInUser(scope);
    expect(reason(await user.call('eth_signTransaction', [eip1559Transaction(5)]))).toBe('chain_not_allowed');
    expect(reason(await user.call('eth_signTransaction', [legacyTransaction(137)]))).toBe('chain_not_allowed');
    expect(reason(await user.call('eth_signTypedData_v4', [user.claims.address, mailTypedData(5)]))).toBe('chain_not_allowed');
    const { chainId: _chainId, ...unchained } = mailTypedData(1).domain;
    const noChain = { ...mailTypedData(1), domain: unchained, types: { ...mailTypedData(1).types, EIP712Domain: mailTypedData(1).types.EIP712Domain.filter((f) => f.name !== 'chainId') } };
    expect(reason(await user.call('eth_signTypedData_v4', [user.claims.address, noChain]))).toBe('chain_not_allowed');
    expect(result<Hex>(await user.call('eth_signTransaction', [eip1559Transaction(10)]))).toMatch(/^0x02/);
    expect(result<Hex>(await user.call('eth_signTypedData_v4', [user.claims.address, mailTypedData(1)]))).toMatch(/^0x/);
    // A scope without a list signs typed data without a chain id.
    const open_ = await signedInUser(await walletScope());
    expect(result<Hex>(await open_.call('eth_signTypedData_v4', [open_.claims.address, noChain]))).toMatch(/^0x/);
  });

  it('oversized or malformed typed data is invalid_params, and nothing is signed or audited', async () => {
    const scope = await walletScope();
    const user = await signedInUser(scope);
    const base = mailTypedData(1);
    const deep = (levels: number): unknown => (levels === 0 ? [] : { children: [deep(levels - 1)] });
    const cases: Array<[string, unknown]> = [
      ['not JSON text', '{"types":'],
      ['an unknown type', { ...base, types: { ...base.types, Mail: [{ name: 'to', type: 'Nobody' }] }, message: { to: {} } }],
      ['a bad address value', { ...base, message: { ...base.message, to: { name: 'Bob', wallet: '0x1234' } } }],
      ['an out-of-range uint8', { ...base, types: { ...base.types, Mail: [{ name: 'n', type: 'uint8' }] }, message: { n: 300 } }],
      ['a primaryType that is not in types', { ...base, primaryType: 'Letter' }],
      ['EIP712Domain as primaryType', { ...base, primaryType: 'EIP712Domain' }],
      ['a primaryType that is not the primary type', { ...base, primaryType: 'Person', message: base.message.to }],
      ['an unused type', { ...base, types: { ...base.types, Unused: [{ name: 'x', type: 'uint256' }] } }],
      ['EIP712Domain that differs from domain', { ...base, types: { ...base.types, EIP712Domain: base.types.EIP712Domain.slice(0, 2) } }],
      ['a domain field EIP-712 does not have', { ...base, domain: { ...base.domain, extra: 'x' } }],
      ['a message field its type lacks', { ...base, message: { ...base.message, hidden: 'not signed' } }],
      ['a type name that is no identifier', { ...base, types: { ...base.types, 'Mail(x)': [] } }],
      ['a message nested deeper than 16', { types: { Node: [{ name: 'children', type: 'Node[]' }] }, primaryType: 'Node', domain: { name: 'x' }, message: deep(20) }],
      ['more than 50 types', { ...base, types: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`T${i}`, [{ name: 'a', type: 'uint256' }]])) }],
      ['over 32 KiB of JSON', { ...base, message: { ...base.message, contents: 'x'.repeat(33 * 1024) } }],
      ['a chainId of 0', { ...base, domain: { ...base.domain, chainId: 0 } }],
    ];
    for (const [label, typed] of cases) {
      const reply = await user.call('eth_signTypedData_v4', [user.claims.address, typed]);
      expect([label, reason(reply)]).toEqual([label, 'invalid_params']);
    }
    // The same as JSON text (MetaMask's form) signs.
    expect(result<Hex>(await user.call('eth_signTypedData_v4', [user.claims.address, JSON.stringify(base)]))).toMatch(/^0x/);
    const signed = (await harness.gateway.stores.auditLog.listAuditEvents(scope.scope_id, { limit: 1000 })).filter((event) => event.event === 'typed_data_signed');
    expect(signed).toHaveLength(1);
  });

  it('oversized or malformed transactions are invalid_params', async () => {
    const scope = await walletScope();
    const user = await signedInUser(scope);
    const { chainId: _chainId, ...noChain } = eip1559Transaction(1);
    const { chainId: _legacyChain, ...unprotected } = legacyTransaction(1);
    const cases: Array<[string, unknown]> = [
      ['no chainId', noChain],
      ['a legacy transaction without chainId (replayable on every chain)', unprotected],
      ['no nonce', { ...eip1559Transaction(1), nonce: undefined }],
      ['no gas', { ...eip1559Transaction(1), gas: undefined }],
      ['gas and gasLimit', eip1559Transaction(1, { gasLimit: '0x5208' })],
      ['gas over 2^64 - 1', eip1559Transaction(1, { gas: `0x1${'0'.repeat(16)}` })],
      ['a nonce over 2^53 - 1', eip1559Transaction(1, { nonce: '0x20000000000000' })],
      ['a value over 2^256 - 1', eip1559Transaction(1, { value: `0x1${'0'.repeat(64)}` })],
      ['a negative value', eip1559Transaction(1, { value: -1 })],
      ['a fractional gas', eip1559Transaction(1, { gas: 21000.5 })],
      ['a priority fee over the max fee', eip1559Transaction(1, { maxPriorityFeePerGas: '0x77359401' })],
      ['gasPrice on a type 2 transaction', eip1559Transaction(1, { gasPrice: '0x1' })],
      ['a legacy transaction with maxFeePerGas', legacyTransaction(1, { maxFeePerGas: 1 })],
      ['type 3 (blobs)', eip1559Transaction(1, { type: '0x3' })],
      ['a field no supported type has', eip1559Transaction(1, { maxFeePerBlobGas: '0x1' })],
      ['a bad recipient', eip1559Transaction(1, { to: '0x1234' })],
      ['call data of odd length', eip1559Transaction(1, { data: '0xabc' })],
      ['call data over 24 KiB', eip1559Transaction(1, { data: `0x${'00'.repeat(24 * 1024 + 1)}` })],
      ['data and input', eip1559Transaction(1, { input: '0x' })],
      ['an access list entry with a short key', eip1559Transaction(1, { accessList: [{ address: OTHER_ADDRESS, storageKeys: ['0x01'] }] })],
      ['not an object', 'f86c0a8502540be400'],
    ];
    for (const [label, tx] of cases) {
      const reply = await user.call('eth_signTransaction', [tx]);
      expect([label, reason(reply)]).toEqual([label, 'invalid_params']);
    }
    // Contract creation (no `to`) with an access list signs.
    const creation = result<Hex>(await user.call('eth_signTransaction', [eip1559Transaction(1, { to: null, accessList: [{ address: OTHER_ADDRESS, storageKeys: [`0x${'11'.repeat(32)}`] }] })]));
    expect((await recoverTransactionAddress({ serializedTransaction: creation as never })).toLowerCase()).toBe(user.claims.address);
  });

  it('every signature is audited with its kind, its chain id and the digest signed, never the payload', async () => {
    const scope = await walletScope();
    const user = await signedInUser(scope);
    const message = `secret-${randomUUID()}`;
    await user.call('personal_sign', [message]);
    const typed = mailTypedData(10, `contents-${randomUUID()}`);
    await user.call('eth_signTypedData_v4', [user.claims.address, typed]);
    await user.call('eth_signTransaction', [eip1559Transaction(137)]);
    const events = (await harness.gateway.stores.auditLog.listAuditEvents(scope.scope_id, { limit: 1000 })).filter((event) => event.event.endsWith('_signed'));
    const { EIP712Domain: _domain, ...types } = typed.types;
    expect(events.map(({ event, chain_id, signed_digest, account_id }) => ({ event, chain_id, signed_digest, account_id }))).toEqual([
      { event: 'message_signed', chain_id: null, signed_digest: hashMessage(message), account_id: user.claims.account_id },
      { event: 'typed_data_signed', chain_id: 10, signed_digest: hashTypedData({ ...typed, types, primaryType: 'Mail' }), account_id: user.claims.account_id },
      { event: 'transaction_signed', chain_id: 137, signed_digest: expect.stringMatching(/^0x[0-9a-f]{64}$/) as unknown, account_id: user.claims.account_id },
    ]);
    const text = JSON.stringify(events);
    expect(text).not.toContain(message);
    expect(text).not.toContain(typed.message.contents);
  });

  it('signatures are rate limited per account', async () => {
    const scope = await walletScope({ rate_limit_signing_per_minute: 3 });
    const user = await signedInUser(scope);
    const other = await signedInUser(scope);
    for (let i = 0; i < 3; i += 1) expect(result<Hex>(await user.call('personal_sign', [`m${i}`]))).toMatch(/^0x/);
    expect((await user.call('personal_sign', ['m3'])).error).toMatchObject({ code: -32051, data: 'rate_limited' });
    expect(reason(await user.call('eth_signTransaction', [eip1559Transaction(1)]))).toBe('rate_limited');
    // Reading the address is not a signature; another account has its own count.
    expect(result<string[]>(await user.call('eth_requestAccounts', []))).toEqual([user.claims.address]);
    expect(result<Hex>(await other.call('personal_sign', ['m0']))).toMatch(/^0x/);
  });

  it('delegated registration refuses an unregistered key, a bad signature and a signature over something else, each with its reason', async () => {
    const delegate = newDelegateKey();
    const scope = await delegateScope(delegate);
    const client = newClient(scope);
    const user = () => ({ username: `d-${randomUUID().slice(0, 8)}`, issued_at: clock });

    const stranger = newDelegateKey();
    const unknown = await client.call('delegatedRegistration', delegatedRegistrationParams(client, await keySigned(client, stranger, user())));
    expect(unknown.error).toMatchObject({ code: -32040, data: 'delegate_key_unknown' });

    const signed = await keySigned(client, delegate, user());
    const forged = { ...signed, signature: { ...signed.signature, signature: (await signWith(stranger, signed.sealedUser)).signature } };
    expect((await client.call('delegatedRegistration', delegatedRegistrationParams(client, forged))).error).toMatchObject({ code: -32041, data: 'key_signature_invalid' });
    const garbage = { ...signed, signature: { ...signed.signature, signature: 'bm90IGEgc2lnbmF0dXJl' } };
    expect(reason(await client.call('delegatedRegistration', delegatedRegistrationParams(client, garbage)))).toBe('key_signature_invalid');

    // A real signature by the registered key, over another sealed user (another call's).
    const other = await keySigned(client, delegate, user());
    const swapped = { sealedUser: signed.sealedUser, signature: other.signature };
    expect((await client.call('delegatedRegistration', delegatedRegistrationParams(client, swapped))).error).toMatchObject({ code: -32042, data: 'key_signature_mismatch' });
    // A key signature sealed under another client key does not open.
    const elsewhere = newClient(scope);
    expect(reason(await client.call('delegatedRegistration', { encrypted_user: signed.sealedUser, encrypted_credential: { KeySignature: elsewhere.seal(signed.signature) } }))).toBe('key_signature_invalid');

    // None of them created an account; the untouched signature still works once.
    expect((await client.call('delegatedRegistration', delegatedRegistrationParams(client, signed))).result).toHaveProperty('account_id');
  });

  it('a key signature counts once: replayed, even with its ECDSA signature malleated, it is key_signature_replayed', async () => {
    const delegate = newDelegateKey();
    const scope = await delegateScope(delegate);
    const client = newClient(scope);
    const signed = await keySigned(client, delegate, { username: `r-${randomUUID().slice(0, 8)}`, issued_at: clock });
    const [original, malleated] = malleablePair(delegate, signed.sealedUser);
    const publicKey = createPublicKey({ key: Buffer.from(delegate.publicKey, 'base64'), format: 'der', type: 'spki' });
    expect(original).not.toBe(malleated);
    expect(verify('sha256', Buffer.from(signed.sealedUser), publicKey, Buffer.from(malleated, 'base64'))).toBe(true);

    const first = await client.call('delegatedRegistration', delegatedRegistrationParams(client, { ...signed, signature: { ...signed.signature, signature: original } }));
    expect(first.result).toHaveProperty('account_id');
    for (const signature of [original, malleated]) {
      const again = await client.call('delegatedRegistration', delegatedRegistrationParams(client, { ...signed, signature: { ...signed.signature, signature } }));
      expect(again.error).toMatchObject({ code: -32043, data: 'key_signature_replayed' });
    }

    // The same for calls: one header pair, one call.
    const account = await delegatedAccount(delegate, scope);
    const call = await keySigned(account.client, delegate, { username: account.username, issued_at: clock });
    const headers = keySignatureHeaders(account.client, call);
    expect((await account.client.call('personal_sign', ['once'], headers)).result).toMatch(/^0x/);
    expect(reason(await account.client.call('personal_sign', ['twice'], headers))).toBe('key_signature_replayed');
    expect(reason(await account.client.call('eth_requestAccounts', [], headers))).toBe('key_signature_replayed');
  });

  it('a key signature whose signed user is older than 5 minutes, from the future, or without issued_at is refused', async () => {
    const delegate = newDelegateKey();
    const scope = await delegateScope(delegate);
    const account = await delegatedAccount(delegate, scope);
    const client = newClient(scope);
    const reg = (issued_at: unknown) => keySigned(client, delegate, { username: `e-${randomUUID().slice(0, 8)}`, issued_at });
    expect((await client.call('delegatedRegistration', delegatedRegistrationParams(client, await reg(clock - 301_000)))).error).toMatchObject({ code: -32044, data: 'key_signature_expired' });
    expect(reason(await client.call('delegatedRegistration', delegatedRegistrationParams(client, await reg(clock + 61_000))))).toBe('key_signature_expired');
    expect(reason(await client.call('delegatedRegistration', delegatedRegistrationParams(client, await reg(undefined))))).toBe('invalid_params');
    expect(reason(await client.call('delegatedRegistration', delegatedRegistrationParams(client, await reg(Math.floor(clock / 1000)))))).toBe('key_signature_expired');
    expect(reason(await account.call('personal_sign', ['late'], { username: account.username, issued_at: clock - 301_000 }))).toBe('key_signature_expired');
    // Headers captured now are refused once the window has passed, replay record or not.
    const captured = keySignatureHeaders(account.client, await keySigned(account.client, delegate, { username: account.username, issued_at: clock }));
    clock += 301_000;
    expect(reason(await account.client.call('personal_sign', ['later'], captured))).toBe('key_signature_expired');
  });

  it('a key signature used in one scope cannot be replayed in another scope that registered the same key', async () => {
    const delegate = newDelegateKey();
    const [first, second] = [await delegateScope(delegate), await delegateScope(delegate)];
    const username = `twin-${randomUUID().slice(0, 8)}`;
    const client = newClient(first);
    const signed = await keySigned(client, delegate, { username, issued_at: clock });
    expect((await client.call('delegatedRegistration', delegatedRegistrationParams(client, signed))).result).toHaveProperty('account_id');
    // The same request with the other scope's id: the client key and envelopes are the gateway's, not the scope's.
    const other = new RpcClient(harness.url, second.scope_id, harness.publicKey);
    const replay = await fetch(harness.url, {
      method: 'POST',
      headers: { ...client.headers(), 'x-scope-id': second.scope_id },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'delegatedRegistration', params: delegatedRegistrationParams(client, signed) }),
    });
    expect(((await replay.json()) as JsonRpcReply).error?.data).toBe('key_signature_replayed');
    expect(await harness.gateway.stores.accounts.findAccountByUsername(other.scopeId, username)).toBeNull();
  });

  it('a delegate key acts only for the accounts it created', async () => {
    const [mine, theirs] = [newDelegateKey(), newDelegateKey()];
    const scope = await delegateScope(mine);
    await addDelegateKey(harness.gateway.stores.delegates, { scopeId: scope.scope_id, publicKey: theirs.publicKey, name: null, now: clock });
    const account = await delegatedAccount(mine, scope);
    const signature = result<Hex>(await account.call('personal_sign', ['mine']));
    expect((await recoverMessageAddress({ message: 'mine', signature })).toLowerCase()).toBe(account.address);

    // Another registered key, naming this account's username: the same answer as for no such account.
    expect((await account.call('personal_sign', ['theirs'], undefined, theirs)).error).toMatchObject({ code: -32024, data: 'account_not_found' });
    expect(reason(await account.call('personal_sign', ['nobody'], { username: 'nobody-here', issued_at: clock }))).toBe('account_not_found');
    // A passkey account of the same scope is no delegate's.
    const passkeyUser = await signedInUser(scope);
    expect(reason(await account.call('personal_sign', ['passkey'], { username: passkeyUser.username, issued_at: clock }))).toBe('account_not_found');
    // Without X-Encrypted-User there is nothing the signature could be over.
    const signed = await keySigned(account.client, mine, { username: account.username, issued_at: clock });
    const headers = { ...keySignatureHeaders(account.client, signed), 'x-encrypted-user': '' };
    expect(reason(await account.client.call('personal_sign', ['x'], headers))).toBe('key_signature_mismatch');
    // A session and a key signature at once: one call, one actor.
    const both = { ...keySignatureHeaders(passkeyUser.client, await keySigned(passkeyUser.client, mine, { username: account.username, issued_at: clock })), 'x-encrypted-session': passkeyUser.session };
    expect(reason(await passkeyUser.client.call('personal_sign', ['both'], both))).toBe('session_invalid');
  });

  it('a removed delegate key, or a disabled account, can no longer sign', async () => {
    const delegate = newDelegateKey();
    const scope = await delegateScope(delegate);
    const account = await delegatedAccount(delegate, scope);
    await harness.gateway.stores.accounts.setAccountDisabled(account.accountId, true);
    expect(reason(await account.call('personal_sign', ['disabled']))).toBe('account_disabled');
    await harness.gateway.stores.accounts.setAccountDisabled(account.accountId, false);
    expect(result<Hex>(await account.call('personal_sign', ['enabled']))).toMatch(/^0x/);
    const keyId = (await harness.gateway.stores.delegates.listDelegateKeys(scope.scope_id))[0]!.key_id;
    expect(await harness.gateway.stores.delegates.removeDelegateKey(scope.scope_id, keyId)).toBe(true);
    expect(reason(await account.call('personal_sign', ['removed']))).toBe('delegate_key_unknown');
    const client = newClient(scope);
    expect(reason(await client.call('delegatedRegistration', delegatedRegistrationParams(client, await keySigned(client, delegate, { username: 'after-removal', issued_at: clock }))))).toBe('delegate_key_unknown');
  });

  it("a delegated account's username signs in like an unknown one: the answer does not tell it is taken", async () => {
    const delegate = newDelegateKey();
    const scope = await delegateScope(delegate);
    const client = newClient(scope);
    const username = `taken-${randomUUID().slice(0, 8)}`;
    const before = await initiateAuthentication(client, username);
    const created = await client.call('delegatedRegistration', delegatedRegistrationParams(client, await keySigned(client, delegate, { username, issued_at: clock })));
    expect(created.result).toHaveProperty('account_id');
    // The same answer, stand-in passkey ids included, as while the username was free.
    const after = await initiateAuthentication(client, username);
    expect(after.options.allowCredentials?.length).toBeGreaterThan(0);
    expect(after.options.allowCredentials).toEqual(before.options.allowCredentials);
    // Passkey registration under its username is refused as for any taken username.
    expect(reason(await client.call('initiateRegistration', { encrypted_user: client.seal({ username }) }))).toBe('account_exists');
  });

  it('the key signature header is not offered to browsers: CORS preflights leave it out', async () => {
    const scope = await walletScope();
    const preflight = await fetch(harness.url, {
      method: 'OPTIONS',
      headers: { origin: TEST_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-encrypted-key-signature' },
    });
    expect(preflight.headers.get('access-control-allow-headers') ?? '').not.toContain('x-encrypted-key-signature');
    expect(scope.scope_id).toBeDefined();
  });
});
