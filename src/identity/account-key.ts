import { hkdfSync, randomBytes } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
// The libsecp256k1 addon itself, not the package's entry point: that one falls back to a pure
// JavaScript implementation (elliptic, over ten times slower) when the addon does not load, and says
// nothing. Imported directly, a missing or broken native build fails this import, and with it the
// gateway's start ("No native build was found for platform=… arch=… abi=…", or the loader's error).
import secp256k1 from 'secp256k1/bindings.js';

const SALT = new TextEncoder().encode('passkey-gateway/account-key/v1');

/** Order of the secp256k1 group (SEC 2, section 2.4.1). */
const ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

// libsecp256k1 adds a blinding value to every base-point multiplication (and removes it after), a
// guard against side channels; until its context is given a secret seed that value is a fixed,
// public one. So a random seed, once per process when the module loads, as its documentation
// advises after a context is created. No result changes.
secp256k1.contextRandomize(randomBytes(32));

export interface AccountPublicKey {
  /** Compressed SEC1 point, 66 hex characters, no 0x (what the SDK reads from the session). */
  publicKey: string;
  /** 0x + last 20 bytes of keccak-256 of the uncompressed point without its 04 prefix. */
  address: string;
}

/**
 * The account's secp256k1 secret key, derived with HKDF from the deployment master secret and the
 * account id, so it is never stored. 48 bytes of output are reduced to a scalar, as FIPS 186-5
 * recommends, leaving no measurable bias.
 */
export function deriveAccountSecretKey(masterSecret: Uint8Array, accountId: string): Uint8Array {
  // HKDF-SHA256 (RFC 5869) through node:crypto: the same bytes as a JavaScript HKDF, a fraction of the time.
  const seed = Buffer.from(hkdfSync('sha256', masterSecret, SALT, Buffer.from(accountId, 'utf8'), 48));
  // seed mod (n − 1) + 1, big-endian in and out: a scalar in [1, n − 1], the reduction
  // @noble/curves' utils.randomSecretKey(seed) made when it computed these keys (the tests hold them to it).
  const scalar = (BigInt(`0x${seed.toString('hex')}`) % (ORDER - 1n)) + 1n;
  return new Uint8Array(Buffer.from(scalar.toString(16).padStart(64, '0'), 'hex'));
}

export function accountPublicKey(masterSecret: Uint8Array, accountId: string): AccountPublicKey {
  return accountPublicKeyOf(deriveAccountSecretKey(masterSecret, accountId));
}

/** The public key and address of a secp256k1 secret key (32 bytes, in [1, n − 1]; throws otherwise). */
export function accountPublicKeyOf(secretKey: Uint8Array): AccountPublicKey {
  // One scalar multiplication: the compressed form is read off the uncompressed point (prefix 02
  // or 03 by the parity of y, then x), where asking for it too would cost a second multiplication.
  const uncompressed = secp256k1.publicKeyCreate(secretKey, false);
  const compressed = new Uint8Array(33);
  compressed[0] = 0x02 | (uncompressed[64]! & 1);
  compressed.set(uncompressed.subarray(1, 33), 1);
  return { publicKey: Buffer.from(compressed).toString('hex'), address: addressOfUncompressed(uncompressed) };
}

/** Ethereum address of a (compressed or uncompressed) secp256k1 public key; throws for anything else. */
export function addressOf(publicKey: Uint8Array): string {
  // libsecp256k1 also parses the hybrid form (06 or 07, then x and y), which is no key anyone sends
  // and which this function has never taken; it checks that the point is on the curve.
  const prefix = publicKey[0];
  const sec1 = (publicKey.length === 33 && (prefix === 0x02 || prefix === 0x03)) || (publicKey.length === 65 && prefix === 0x04);
  if (!sec1) throw new Error('expected a compressed (33-byte) or uncompressed (65-byte) SEC1 secp256k1 public key');
  return addressOfUncompressed(secp256k1.publicKeyConvert(publicKey, false));
}

function addressOfUncompressed(uncompressed: Uint8Array): string {
  return `0x${Buffer.from(keccak_256(uncompressed.subarray(1))).subarray(12).toString('hex')}`;
}
