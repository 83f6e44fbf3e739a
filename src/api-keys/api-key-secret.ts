import { createHash, randomBytes } from 'node:crypto';

/** Every secret starts with this, so a leaked one is recognisable (secret scanners, logs) and told apart from the admin token. */
export const API_KEY_PREFIX = 'pgk_';
const SECRET_BYTES = 32;
const SECRET_PATTERN = /^pgk_[A-Za-z0-9_-]{43}$/;

/** A new secret: the prefix and 32 random bytes, base64url (47 characters). */
export function newApiKeySecret(): string {
  return `${API_KEY_PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/** Whether a bearer credential has the form of a secret (then it is looked up as a key, never compared to the admin token). */
export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith(API_KEY_PREFIX);
}

/** Whether the text is a well-formed secret; anything else is refused before any lookup. */
export function isApiKeySecret(credential: string): boolean {
  return SECRET_PATTERN.test(credential);
}

/**
 * base64url SHA-256 of the secret: what is stored and looked up. A plain fast hash is enough here:
 * the secret holds 256 random bits, so no guessing or precomputation reaches it from the hash
 * (slow or salted hashes defend low-entropy passwords), and one hash per call lets a server call
 * find its key by an indexed lookup without trying every key of a scope.
 */
export function apiKeySecretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}
