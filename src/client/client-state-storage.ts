import type { AesKey } from './envelope-crypto.js';

/**
 * What a client keeps between page loads: its AES key together with the session sealed under it,
 * since the gateway accepts a session only with the client key it was issued to.
 */
export interface StoredClientState {
  /** The gateway public key (base64 SPKI) the AES key was wrapped for; another one means the gateway's key rotated. */
  publicKey: string;
  /** Non-extractable: storage holds the CryptoKey object, never its bytes. */
  aesKey: AesKey;
  /** The `X-Encrypted-Key` header value for `aesKey`. */
  encryptedKey: string;
  /** The sealed session (`encrypted_jwt`). */
  session: string;
}

/**
 * Where a GatewayClient keeps its state across reloads, one record per `id` (gateway URL and scope
 * id). The default is IndexedDB; apps may pass their own (it must keep CryptoKey objects as they are).
 */
export interface ClientStateStorage {
  /** The stored state, or undefined when there is none (or it cannot be read). */
  load(id: string): Promise<StoredClientState | undefined>;
  save(id: string, state: StoredClientState): Promise<void>;
  /**
   * Removes the record only while it still holds `session`: another tab of the same app may have
   * stored a newer sign-in there since, which must survive this one ending.
   */
  remove(id: string, session: string): Promise<void>;
}

/** Whether a value read back from storage has the shape of a StoredClientState. */
export function isStoredClientState(value: unknown): value is StoredClientState {
  if (typeof value !== 'object' || value === null) return false;
  const { publicKey, aesKey, encryptedKey, session } = value as Record<string, unknown>;
  return typeof publicKey === 'string' && typeof encryptedKey === 'string' && typeof session === 'string' && session !== '' && typeof aesKey === 'object' && aesKey !== null;
}
