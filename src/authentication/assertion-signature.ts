import { verify } from 'node:crypto';
import { isoCrypto } from '@simplewebauthn/server/helpers';
import type { AssertionKey } from './assertion-key.js';

/**
 * Whether `signature` is a valid signature over `data` (authenticatorData ‖ SHA-256(clientDataJSON))
 * under `key`, with the accept set of @simplewebauthn/server 14's isoCrypto.verify: node:crypto
 * verifies what WebCrypto would (same OpenSSL checks; high-S ECDSA signatures are valid in both).
 * Throws where the library throws (a key it cannot use, an ECDSA signature it cannot read).
 *
 * ECDSA signatures are ASN.1 in WebAuthn. The library reads them with a BER parser that also takes
 * other encodings than DER (long or indefinite lengths, a context tag for the SEQUENCE, bytes after
 * it, further elements); the usual encoding, `30 L 02 lr r 02 ls s` with nothing else, is read here,
 * and any other is handed to the library's own isoCrypto.verify, so both take exactly the same ones.
 */
export async function verifyAssertionSignature(key: AssertionKey, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
  switch (key.kind) {
    case 'refused':
      throw new Error(key.reason);
    case 'ecdsa': {
      const integers = derIntegers(signature);
      if (integers === null) return isoCrypto.verify({ cosePublicKey: key.cose, signature: signature as LibraryBytes, data: data as LibraryBytes });
      const [r, s] = integers;
      const p1363 = Buffer.concat([fixedLength(r, key.componentLength), fixedLength(s, key.componentLength)]);
      return verify(key.hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, p1363);
    }
    case 'rsa':
      return verify(key.hash, data, { key: key.key, padding: key.padding, saltLength: key.saltLength }, signature);
    case 'ed25519':
      return verify(null, data, key.key, signature);
    case 'library':
      return isoCrypto.verify({ cosePublicKey: key.cose, signature: signature as LibraryBytes, data: data as LibraryBytes });
  }
}

type LibraryBytes = Parameters<typeof isoCrypto.verify>[0]['signature'];

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const LONG_FORM = 0x80;
/** A length in long form with one length byte (128–255). */
const LONG_FORM_ONE_BYTE = 0x81;

/**
 * r and s of a DER ECDSA-Sig-Value: a SEQUENCE of two non-empty INTEGERs, every length in its
 * shortest form (the SEQUENCE's in long form from 128 bytes, as P-521 signatures can be), nothing
 * after. For these the library's parser yields the INTEGERs' content bytes as they are; null for
 * any other encoding.
 */
function derIntegers(signature: Uint8Array): [Uint8Array, Uint8Array] | null {
  const length = signature.length;
  if (length < 8 || signature[0] !== SEQUENCE) return null;
  const longForm = signature[1] === LONG_FORM_ONE_BYTE;
  const start = longForm ? 3 : 2;
  const contentLength = longForm ? signature[2]! : signature[1]!;
  if (contentLength !== length - start || (longForm ? contentLength < LONG_FORM : contentLength >= LONG_FORM)) return null;
  const rLength = signature[start + 1]!;
  if (signature[start] !== INTEGER || rLength === 0 || rLength >= LONG_FORM) return null;
  const sTag = start + 2 + rLength;
  if (sTag + 2 > length || signature[sTag] !== INTEGER) return null;
  const sLength = signature[sTag + 1]!;
  if (sLength === 0 || sLength >= LONG_FORM || sTag + 2 + sLength !== length) return null;
  return [signature.subarray(start + 2, sTag), signature.subarray(sTag + 2)];
}

/**
 * unwrapEC2Signature's toNormalizedBytes: shorter integers are padded with zeros, one byte longer
 * only for a leading zero before a set high bit (which is dropped), any other length throws. An
 * integer of exactly the length is taken as it is, even with its high bit set (a negative number
 * in DER, which some authenticators send for a positive one).
 */
function fixedLength(integer: Uint8Array, length: number): Uint8Array {
  if (integer.length < length) {
    const padded = new Uint8Array(length);
    padded.set(integer, length - integer.length);
    return padded;
  }
  if (integer.length === length) return integer;
  if (integer.length === length + 1 && integer[0] === 0 && (integer[1]! & 0x80) === 0x80) return integer.subarray(1);
  throw new Error(`Invalid signature component length ${integer.length}, expected ${length}`);
}
