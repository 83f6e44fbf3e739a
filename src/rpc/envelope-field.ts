import { z } from 'zod';
import { limits } from '../domain/limits.js';

/** A base64 AES-GCM envelope in params; its content is checked when opened. */
export const envelopeField = z.string().min(1).max(limits.envelopeChars).describe('base64(iv[12] ‖ AES-256-GCM ciphertext ‖ tag[16])');
