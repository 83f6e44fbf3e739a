// The libsecp256k1 addon, as account-key.ts loads it (and seeds its context's blinding): never the
// package's pure-JavaScript fallback.
import secp256k1 from 'secp256k1/bindings.js';
import { deriveAccountSecretKey } from './account-key.js';

/** A recoverable secp256k1 signature, as Ethereum encodes them: r and s (0x + 64 hex), and the parity of R's y. */
export interface RecoverableSignature {
  r: string;
  s: string;
  yParity: 0 | 1;
}

/**
 * Signs a 32-byte digest with the account's key, derived for this one signature and overwritten
 * after it: the secret key is never stored, logged or returned. libsecp256k1 signs deterministically
 * (RFC 6979) and always with a low s, as Ethereum requires (EIP-2).
 */
export function signWithAccountKey(masterSecret: Uint8Array, accountId: string, digest: Uint8Array): RecoverableSignature {
  if (digest.length !== 32) throw new TypeError(`expected a 32-byte digest, got ${digest.length} bytes`);
  const secretKey = deriveAccountSecretKey(masterSecret, accountId);
  try {
    const { signature, recid } = secp256k1.ecdsaSign(digest, secretKey);
    const hex = Buffer.from(signature).toString('hex');
    return { r: `0x${hex.slice(0, 64)}`, s: `0x${hex.slice(64)}`, yParity: recid === 1 ? 1 : 0 };
  } finally {
    secretKey.fill(0);
  }
}

/** The 65-byte signature personal_sign and eth_signTypedData_v4 answer with: r ‖ s ‖ v, v = 27 + parity. */
export function toRsvSignature(signature: RecoverableSignature): string {
  return `${signature.r}${signature.s.slice(2)}${(27 + signature.yParity).toString(16)}`;
}
