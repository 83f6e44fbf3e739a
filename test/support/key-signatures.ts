/**
 * Key signatures as @0xpass/key-signer makes them and the SDK sends them, built by hand so tests can
 * bend each piece: the signed user, the signature, the header or param it travels in.
 */
import { createPrivateKey, sign } from 'node:crypto';
import type { RpcClient } from '../../scripts/lib/rpc-client.js';
import type { DelegateKeyPair } from './wallet.js';

/** KeySigner.sign()'s answer: {kind, id (the public key), clientData (the signed text), signature, algorithm}. */
export interface KeyAssertion {
  kind: string;
  id: string;
  clientData: string;
  signature: string;
  algorithm: string;
}

/** KeySigner.sign(text), typed here (its declaration's types come from @0xpass/models, which NodeNext cannot resolve). */
export async function signWith(delegate: DelegateKeyPair, text: string): Promise<KeyAssertion> {
  const sign = delegate.signer.sign.bind(delegate.signer) as (options: string) => Promise<KeyAssertion>;
  return sign(text);
}

/** The sealed user and the key signature over it, as the SDK builds them for one call. */
export async function keySigned(client: RpcClient, delegate: DelegateKeyPair, user: unknown): Promise<{ sealedUser: string; signature: KeyAssertion }> {
  const sealedUser = client.seal(user);
  return { sealedUser, signature: await signWith(delegate, sealedUser) };
}

/** The headers of a call made with a key signature instead of a session. */
export function keySignatureHeaders(client: RpcClient, signed: { sealedUser: string; signature: KeyAssertion }): Record<string, string> {
  return { 'x-encrypted-user': signed.sealedUser, 'x-encrypted-key-signature': client.seal(signed.signature) };
}

/** delegatedRegistration's params, as delegatedRegisterAccount() sends them. */
export function delegatedRegistrationParams(client: RpcClient, signed: { sealedUser: string; signature: KeyAssertion }) {
  return { encrypted_user: signed.sealedUser, encrypted_credential: { KeySignature: client.seal(signed.signature) } };
}

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/**
 * The same P-256 signature over `text` twice, as DER: once with s, once with n − s. Both verify
 * (ECDSA's malleability); a replay check keyed on the signature bytes would take them for two.
 */
export function malleablePair(delegate: DelegateKeyPair, text: string): [string, string] {
  const key = createPrivateKey({ key: Buffer.from(delegate.privateKey, 'base64'), format: 'der', type: 'pkcs8' });
  const raw = sign('sha256', Buffer.from(text, 'utf8'), { key, dsaEncoding: 'ieee-p1363' });
  const r = BigInt(`0x${raw.subarray(0, 32).toString('hex')}`);
  const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
  return [derSignature(r, s), derSignature(r, P256_ORDER - s)];
}

function derSignature(r: bigint, s: bigint): string {
  const integer = (value: bigint) => {
    let bytes = Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
    while (bytes.length > 1 && bytes[0] === 0 && bytes[1]! < 0x80) bytes = bytes.subarray(1);
    if (bytes[0]! >= 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
  };
  const body = Buffer.concat([integer(r), integer(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]).toString('base64');
}
