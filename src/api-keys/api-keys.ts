import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ApiKey, ApiKeyInfo } from '../domain/api-key.js';
import type { NewAuditEvent } from '../domain/audit-event.js';
import { limits } from '../domain/limits.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { ApiKeyStore } from '../stores/api-key-store.js';
import { apiKeySecretHash, newApiKeySecret } from './api-key-secret.js';

/** An operator's label for a key: 1–100 characters after trimming, no control characters (it is printed and listed). */
export const apiKeyNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(limits.apiKeyNameChars)
  .refine((name) => !/\p{Cc}/u.test(name), 'name must not contain control characters');

/** A key as listed: everything but its hash. */
export function apiKeyInfo(key: ApiKey): ApiKeyInfo {
  return { key_id: key.key_id, scope_id: key.scope_id, name: key.name, created_at: key.created_at, revoked_at: key.revoked_at };
}

/**
 * Creates a key for a scope, as the admin API and the scope CLI do: scope_not_found,
 * too_many_api_keys. `audit` (given the key id) is written with it. The secret is returned here
 * and nowhere else: only its hash is stored.
 */
export async function createApiKey(
  store: Pick<ApiKeyStore, 'createApiKey'>,
  input: { scopeId: string; name: string; now: number },
  audit?: (keyId: string) => NewAuditEvent,
): Promise<{ key: ApiKeyInfo; secret: string }> {
  const secret = newApiKeySecret();
  const key: ApiKey = {
    key_id: randomUUID(),
    scope_id: input.scopeId,
    name: input.name,
    secret_hash: apiKeySecretHash(secret),
    created_at: new Date(input.now).toISOString(),
    revoked_at: null,
  };
  const created = await store.createApiKey(key, limits.apiKeysPerScope, audit?.(key.key_id));
  if (!created.ok) throw new GatewayError(created.conflict);
  return { key: apiKeyInfo(created.key), secret };
}

/** Revokes a working key of the scope (api_key_not_found otherwise); from then on it is refused like an unknown key. */
export async function revokeApiKey(
  store: Pick<ApiKeyStore, 'revokeApiKey'>,
  input: { scopeId: string; keyId: string; now: number },
  audit?: NewAuditEvent,
): Promise<{ scope_id: string; key_id: string; revoked_at: string }> {
  const revokedAt = new Date(input.now).toISOString();
  if (!(await store.revokeApiKey(input.scopeId, input.keyId, revokedAt, audit))) throw new GatewayError('api_key_not_found');
  return { scope_id: input.scopeId, key_id: input.keyId, revoked_at: revokedAt };
}
