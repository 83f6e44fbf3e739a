import { z } from 'zod';
import { openEnvelope, sealEnvelope } from '../envelope/aes-gcm-envelope.js';
import { GatewayError } from '../errors/gateway-error.js';

/** Opens an envelope and validates its JSON plaintext; bad JSON or shape is `invalid_params`. */
export function openJson<T extends z.ZodType>(key: Buffer, envelope: string, schema: T, field: string): z.output<T> {
  const text = openEnvelope(key, envelope);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError('invalid_params', `${field}: plaintext is not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new GatewayError('invalid_params', `${field}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function sealJson(key: Buffer, value: unknown): string {
  return sealEnvelope(key, JSON.stringify(value));
}
