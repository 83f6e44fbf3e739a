import { verify } from 'node:crypto';
import { z } from 'zod';
import { limits } from '../domain/limits.js';
import { decodeStrictBase64 } from '../envelope/strict-base64.js';
import type { DelegatePublicKey } from './delegate-public-key.js';

/**
 * What @0xpass/key-signer's sign(data) gives: its public key as `id`, the signed text as
 * `clientData`, and a SHA-256 signature (DER for ECDSA) in base64. The SDK seals it as JSON.
 */
export const keySignatureSchema = z.object({
  kind: z.literal('key'),
  id: z.string().min(1).max(limits.delegatePublicKeyChars),
  clientData: z.string().max(limits.envelopeChars),
  signature: z.string().min(1).max(limits.keySignatureChars),
  algorithm: z.literal('SHA256'),
});

export type KeySignature = z.infer<typeof keySignatureSchema>;

/** Whether `signature` (base64) is the key's SHA-256 signature over the UTF-8 bytes of `text`, as key-signer makes it. */
export function verifiesOver(key: DelegatePublicKey, text: string, signature: string): boolean {
  const bytes = decodeStrictBase64(signature);
  if (bytes === null) return false;
  try {
    return verify('sha256', Buffer.from(text, 'utf8'), key.key, bytes);
  } catch {
    return false;
  }
}
