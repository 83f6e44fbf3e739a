import { GatewayError } from '../errors/gateway-error.js';
import { openEnvelope } from '../envelope/aes-gcm-envelope.js';
import type { ClientKey, ClientKeys } from '../envelope/client-key.js';
import type { Scope } from '../domain/scope.js';
import type { ScopeRegistry } from '../scopes/scope-registry.js';
import type { CallContext } from './rpc-method.js';
import { limits } from '../domain/limits.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The call's scope from X-Scope-Id, checked against the browser's Origin: no cryptography yet. */
export async function resolveScope(ctx: CallContext, scopes: ScopeRegistry): Promise<Scope> {
  const scopeId = ctx.headers['x-scope-id']?.trim();
  if (scopeId === undefined || !UUID.test(scopeId)) throw new GatewayError('scope_required');
  const scope = await scopes.get(scopeId.toLowerCase());
  if (scope === null) throw new GatewayError('scope_not_found');
  if (ctx.origin !== undefined && !scope.origins.includes(ctx.origin)) {
    throw new GatewayError('origin_not_allowed', `origin ${ctx.origin} not in scope ${scope.scope_id}`);
  }
  return scope;
}

/**
 * The call's client key from X-Encrypted-Key (the RSA work), then the optional X-Encrypted-User
 * header, which must open with it when present.
 */
export function resolveClientKey(ctx: CallContext, clientKeys: ClientKeys): ClientKey {
  const wrappedKey = ctx.headers['x-encrypted-key'];
  if (wrappedKey !== undefined && wrappedKey.length > limits.encryptedKeyChars) throw new GatewayError('envelope_invalid', 'key header too long');
  const clientKey = clientKeys.unwrap(wrappedKey);

  // The SDK sends X-Encrypted-User sealed `null` unless the app set user data; when present it must
  // still open, but a ceremony's user always comes from params.encrypted_user.
  const userHeader = ctx.headers['x-encrypted-user'];
  if (userHeader !== undefined && userHeader !== '') {
    if (userHeader.length > limits.headerEnvelopeChars) throw new GatewayError('envelope_invalid', 'user header too long');
    openEnvelope(clientKey.key, userHeader);
  }
  return clientKey;
}
