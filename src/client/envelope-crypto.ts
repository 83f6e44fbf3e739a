import { base64ToBytes, bytesToBase64 } from './base64.js';

/**
 * The client's half of the envelope protocol through WebCrypto (browsers, and Node 20's
 * globalThis.crypto): envelopes are base64(iv[12] ‖ AES-256-GCM ciphertext ‖ tag[16]) of UTF-8 text,
 * no AAD; the AES key travels as RSA-OAEP-256 over its own base64 text, as the Passport SDK sends it.
 */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const AES_KEY_BYTES = 32;

/** WebCrypto's CryptoKey, named through the API so this compiles with Node's types as well as the DOM's. */
export type AesKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export interface ClientKey {
  /** Non-extractable AES-GCM key: page scripts can use it but never read it out. */
  aesKey: AesKey;
  /** The `X-Encrypted-Key` header value, the same for the client's whole life. */
  encryptedKey: string;
}

/** A fresh random AES key, wrapped for the gateway whose RSA public key (base64 SPKI DER) is given. */
export async function createClientKey(publicKeySpki: string): Promise<ClientKey> {
  const raw = crypto.getRandomValues(new Uint8Array(AES_KEY_BYTES));
  try {
    return { aesKey: await importAesKey(raw), encryptedKey: await wrapAesKey(raw, publicKeySpki) };
  } finally {
    raw.fill(0);
  }
}

export async function importAesKey(raw: Uint8Array<ArrayBuffer>): Promise<AesKey> {
  if (raw.length !== AES_KEY_BYTES) throw new TypeError('AES key must be 32 bytes');
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** RSA-OAEP (SHA-256, MGF1-SHA-256) over the UTF-8 bytes of the key's base64 text. */
export async function wrapAesKey(raw: Uint8Array<ArrayBuffer>, publicKeySpki: string): Promise<string> {
  const rsa = await crypto.subtle.importKey('spki', base64ToBytes(publicKeySpki), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  const wrapped = await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, rsa, new TextEncoder().encode(bytesToBase64(raw)));
  return bytesToBase64(new Uint8Array(wrapped));
}

export async function sealEnvelope(key: AesKey, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  // WebCrypto appends the 16-byte tag to the ciphertext, which is exactly the wire layout.
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, tagLength: TAG_BYTES * 8 }, key, new TextEncoder().encode(plaintext));
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv, 0);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return bytesToBase64(out);
}

/** Opens an envelope; null when it is malformed or does not authenticate (one answer for every cause). */
export async function openEnvelope(key: AesKey, envelope: string): Promise<string | null> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = base64ToBytes(envelope);
  } catch {
    return null;
  }
  if (bytes.length < IV_BYTES + TAG_BYTES) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES), tagLength: TAG_BYTES * 8 }, key, bytes.subarray(IV_BYTES));
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    return null;
  }
}
