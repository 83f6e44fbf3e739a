import { createHmac } from 'node:crypto';

/**
 * `0x` + hex HMAC-SHA256(secret, scope id ‖ username key): stable for a user within a scope,
 * different across scopes, and not computable without the deployment secret. Scope ids are
 * fixed-length UUIDs, so the concatenation is unambiguous.
 */
export function identifierHash(secret: Buffer, scopeId: string, usernameKey: string): string {
  return `0x${createHmac('sha256', secret).update(scopeId + usernameKey, 'utf8').digest('hex')}`;
}
