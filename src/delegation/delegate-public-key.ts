import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { decodeStrictBase64 } from '../envelope/strict-base64.js';
import { limits } from '../domain/limits.js';

/** A delegate key as the gateway keeps it: canonical SPKI DER (base64) and the id derived from it. */
export interface DelegatePublicKey {
  keyId: string;
  publicKey: string;
  key: KeyObject;
}

/**
 * Parses a delegate public key: base64 SPKI DER (what @0xpass/key-signer's getPublicKey() gives) or
 * the same in PEM. The keys key-signer's SHA-256 signatures can come from: ECDSA on P-256 or P-384,
 * RSA (PKCS#1 v1.5) of 2048 to 4096 bits. Null for anything else. Its id is the SHA-256 of the
 * re-encoded DER, so two encodings of one key are one key.
 */
export function parseDelegatePublicKey(text: string): DelegatePublicKey | null {
  if (text.length === 0 || text.length > limits.delegatePublicKeyChars * 2) return null;
  let key: KeyObject;
  try {
    if (text.includes('-----BEGIN')) {
      key = createPublicKey({ key: text, format: 'pem' });
    } else {
      const der = decodeStrictBase64(text);
      if (der === null) return null;
      key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    }
  } catch {
    return null;
  }
  if (!acceptedKey(key)) return null;
  const der = key.export({ type: 'spki', format: 'der' });
  return { keyId: createHash('sha256').update(der).digest('base64url'), publicKey: der.toString('base64'), key };
}

function acceptedKey(key: KeyObject): boolean {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') return details?.namedCurve === 'prime256v1' || details?.namedCurve === 'secp384r1';
  if (key.asymmetricKeyType === 'rsa') return (details?.modulusLength ?? 0) >= 2048 && (details?.modulusLength ?? 0) <= 4096;
  return false;
}
