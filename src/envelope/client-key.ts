import { constants, createHash, privateDecrypt } from 'node:crypto';
import { GatewayError } from '../errors/gateway-error.js';
import type { ClientKeyChannel } from '../cluster/cluster-channel.js';
import type { RsaKeyRing } from '../keys/rsa-key-ring.js';
import { decodeStrictBase64 } from './strict-base64.js';
import { UnwrapCache } from './unwrap-cache.js';

export interface ClientKey {
  key: Buffer;
  /**
   * The AES key's JWK SHA-256 thumbprint (RFC 7638 over {"k","kty":"oct"}), base64url: binds
   * ceremony state and sessions (their `cnf.jkt`) to the client holding the key. A one-way hash of
   * 256 random bits, so publishing it in a session reveals nothing usable about the key.
   */
  thumbprint: string;
}

/** The JWK thumbprint of an AES key (see ClientKey.thumbprint). */
export function keyThumbprint(key: Buffer): string {
  return createHash('sha256').update(`{"k":"${key.toString('base64url')}","kty":"oct"}`).digest('base64url');
}

const AES_KEY_BYTES = 32;
const BASE64_AES_KEY = /^[A-Za-z0-9+/]{43}=$/;

// One cache per key ring: a header unwrapped by one ring must never be accepted by another.
const caches = new WeakMap<RsaKeyRing, UnwrapCache<ClientKey>>();

/**
 * Unwraps `X-Encrypted-Key`: RSA-OAEP-256 over the base64 text of a 32-byte AES key (what the SDK
 * sends), or over the raw 32 bytes. Every failure is the same opaque `envelope_invalid`.
 * A header seen before is answered from a bounded LRU (see unwrap-cache.ts), and so, for a short
 * while, is a header that failed; callers must not mutate the returned key.
 */
export function unwrapClientKey(header: string | undefined, ring: RsaKeyRing): ClientKey {
  if (header === undefined) throw new GatewayError('envelope_invalid', 'key header missing or not base64');
  return cacheFor(ring).getOrUnwrap(header, () => unwrapUncached(header, ring));
}

function cacheFor(ring: RsaKeyRing, sharing?: { channel: ClientKeyChannel; ringId: string }): UnwrapCache<ClientKey> {
  let cache = caches.get(ring);
  if (cache === undefined) {
    cache = new UnwrapCache<ClientKey>({
      onUnwrap: (id, value) =>
        sharing?.channel.publish({ pkgw: 'client-key', ring: sharing.ringId, id, key: value.key.toString('base64') }),
    });
    caches.set(ring, cache);
  }
  return cache;
}

/**
 * Shares what this ring unwraps with sibling processes over `channel`, and adopts what they
 * unwrapped with the same keys: a client whose calls land on different workers pays one RSA
 * decryption. Call once, before the ring unwraps anything; returns the unsubscribe function.
 */
export function shareClientKeys(ring: RsaKeyRing, channel: ClientKeyChannel): () => void {
  if (caches.has(ring)) throw new Error('shareClientKeys must be called before the ring unwraps anything');
  const ringId = ringIdentity(ring);
  const cache = cacheFor(ring, { channel, ringId });
  return channel.subscribe((shared) => {
    if (shared.ring !== ringId) return;
    const key = Buffer.from(shared.key, 'base64');
    if (key.length !== AES_KEY_BYTES) return;
    cache.adopt(shared.id, { key, thumbprint: keyThumbprint(key) });
  });
}

/** Names a ring by its public keys, so only a process holding the same keys adopts its entries. */
function ringIdentity(ring: RsaKeyRing): string {
  const hash = createHash('sha256');
  for (const rsa of ring.all) hash.update(rsa.publicKeySpki).update('\0');
  return hash.digest('base64url');
}

function unwrapUncached(header: string, ring: RsaKeyRing): ClientKey {
  const wrapped = decodeStrictBase64(header);
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
