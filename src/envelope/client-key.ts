import { constants, createHash, privateDecrypt } from 'node:crypto';
import { GatewayError } from '../errors/gateway-error.js';
import type { ClientKeyChannel } from '../cluster/cluster-channel.js';
import type { RsaKeyRing } from '../keys/rsa-key-ring.js';
import { decodeStrictBase64 } from './strict-base64.js';
import { UnwrapCache, type UnwrapCacheStats } from './unwrap-cache.js';

export interface ClientKey {
  key: Buffer;
  /**
   * The AES key's JWK SHA-256 thumbprint (RFC 7638 over {"k","kty":"oct"}), base64url: binds
   * ceremony state and sessions (their `cnf.jkt`) to the client holding the key. A one-way hash of
   * 256 random bits, so publishing it in a session reveals nothing usable about the key.
   */
  thumbprint: string;
}

/** The client keys of one gateway: its RSA key ring and its own cache of what headers unwrapped to. */
export interface ClientKeys {
  /**
   * Unwraps `X-Encrypted-Key`: RSA-OAEP-256 over the base64 text of a 32-byte AES key (what the SDK
   * sends), or over the raw 32 bytes. Every failure is the same opaque `envelope_invalid`. A header
   * seen before is answered from the cache, and so, for a short while, is a header that failed;
   * callers must not mutate the returned key.
   */
  unwrap(header: string | undefined): ClientKey;
  stats(): UnwrapCacheStats;
  /** Stops sharing with sibling processes. */
  close(): void;
}

const AES_KEY_BYTES = 32;
const BASE64_AES_KEY = /^[A-Za-z0-9+/]{43}=$/;

/** The JWK thumbprint of an AES key (see ClientKey.thumbprint). */
export function keyThumbprint(key: Buffer): string {
  return createHash('sha256').update(`{"k":"${key.toString('base64url')}","kty":"oct"}`).digest('base64url');
}

/**
 * One gateway's client keys. With `channel` (node:cluster workers of one gateway), what this
 * process unwraps is shared with its siblings and what they unwrapped with the same RSA keys is
 * adopted: a client whose calls land on different workers pays one RSA decryption.
 */
export function createClientKeys(ring: RsaKeyRing, options: { channel?: ClientKeyChannel } = {}): ClientKeys {
  const { channel } = options;
  const ringId = ringIdentity(ring);
  const cache = new UnwrapCache<ClientKey>({
    onUnwrap: (id, value) => channel?.publish({ pkgw: 'client-key', ring: ringId, id, key: value.key.toString('base64') }),
  });
  const unsubscribe =
    channel?.subscribe((shared) => {
      if (shared.ring !== ringId) return;
      const key = Buffer.from(shared.key, 'base64');
      if (key.length === AES_KEY_BYTES) cache.adopt(shared.id, { key, thumbprint: keyThumbprint(key) });
    }) ?? (() => {});
  return {
    unwrap(header) {
      if (header === undefined) return unwrapClientKey(header, ring);
      return cache.getOrUnwrap(header, () => unwrapClientKey(header, ring));
    },
    stats: () => cache.stats(),
    close: unsubscribe,
  };
}

/** Names a ring by its public keys, so only a process holding the same keys adopts its entries. */
function ringIdentity(ring: RsaKeyRing): string {
  const hash = createHash('sha256');
  for (const rsa of ring.all) hash.update(rsa.publicKeySpki).update('\0');
  return hash.digest('base64url');
}

/** The RSA work itself, uncached: tries each key of the ring whose modulus matches the length. */
export function unwrapClientKey(header: string | undefined, ring: RsaKeyRing): ClientKey {
  const wrapped = header === undefined ? null : decodeStrictBase64(header);
  if (wrapped === null) throw new GatewayError('envelope_invalid', 'key header missing or not base64');
  for (const rsa of ring.all) {
    // Lengths first: an RSA ciphertext is exactly as long as its key's modulus.
    if (wrapped.length !== rsa.modulusBytes) continue;
    let plaintext: Buffer;
    try {
      plaintext = privateDecrypt({ key: rsa.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped);
    } catch {
      continue;
    }
    const key = aesKeyFromPlaintext(plaintext);
    if (key !== null) return { key, thumbprint: keyThumbprint(key) };
  }
  throw new GatewayError('envelope_invalid', 'key header did not unwrap');
}

function aesKeyFromPlaintext(plaintext: Buffer): Buffer | null {
  if (plaintext.length === 44) {
    const text = plaintext.toString('latin1');
    if (BASE64_AES_KEY.test(text)) return Buffer.from(text, 'base64');
  }
  if (plaintext.length === AES_KEY_BYTES) return Buffer.from(plaintext);
  return null;
}
