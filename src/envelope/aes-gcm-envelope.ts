import { createCipheriv, createDecipheriv } from 'node:crypto';
import { systemRandom, type RandomSource } from '../keys/random-pool.js';
import { GatewayError } from '../errors/gateway-error.js';
import { decodeStrictBase64 } from './strict-base64.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/**
 * AES-256-GCM envelope as the wire protocol defines it: base64(iv[12] ‖ ciphertext ‖ tag[16]),
 * UTF-8 plaintext, no AAD. node:crypto rather than @noble/ciphers: it is about ten times faster here.
 */
export function sealEnvelope(key: Buffer, plaintext: string, random: RandomSource = systemRandom): string {
  if (key.length !== KEY_BYTES) throw new TypeError('AES key must be 32 bytes');
  const iv = random.take(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = cipher.update(plaintext, 'utf8');
  const final = cipher.final();
  return Buffer.concat([iv, body, final, cipher.getAuthTag()]).toString('base64');
}

/** Opens an envelope; every failure is the same opaque `envelope_invalid`. */
export function openEnvelope(key: Buffer, envelope: string): string {
  if (key.length !== KEY_BYTES) throw new TypeError('AES key must be 32 bytes');
  const bytes = decodeStrictBase64(envelope);
  // Lengths are checked before the cipher runs: at least an IV, a tag and one byte of plaintext.
  if (bytes === null || bytes.length < IV_BYTES + TAG_BYTES + 1) throw new GatewayError('envelope_invalid', 'envelope malformed');
  const iv = bytes.subarray(0, IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const ciphertext = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new GatewayError('envelope_invalid', 'envelope did not authenticate', { cause });
  }
}
