import { GatewayError } from '../errors/gateway-error.js';
import { openEnvelope } from '../envelope/aes-gcm-envelope.js';
import { unwrapClientKey } from '../envelope/client-key.js';
import type { RsaKeyRing } from '../keys/rsa-key-ring.js';
import type { ScopeRegistry } from '../scopes/scope-registry.js';
import type { CallContext, ScopedContext } from './rpc-method.js';
import { limits } from './limits.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Turns a call's headers into a scope and a client key, in the order a client can fix them:
 * scope, origin, key, then the optional X-Encrypted-User header.
 */
export async function resolveScopedContext(ctx: CallContext, deps: { scopes: ScopeRegistry; rsaKeys: RsaKeyRing }): Promise<ScopedContext> {
  const scopeId = ctx.headers['x-scope-id']?.trim();
  if (scopeId === undefined || !UUID.test(scopeId)) throw new GatewayError('scope_required');
  const scope = await deps.scopes.get(scopeId.toLowerCase());
  if (scope === null) throw new GatewayError('scope_not_found');
  if (ctx.origin !== undefined && !scope.origins.includes(ctx.origin)) {
    throw new GatewayError('origin_not_allowed', `origin ${ctx.origin} not in scope ${scope.scope_id}`);
  }

  const wrappedKey = ctx.headers['x-encrypted-key'];
  if (wrappedKey !== undefined && wrappedKey.length > limits.encryptedKeyChars) throw new GatewayError('envelope_invalid', 'key header too long');
  const clientKey = unwrapClientKey(wrappedKey, deps.rsaKeys);

  // The SDK sends X-Encrypted-User sealed `null` unless the app set user data; when present it must
  // still open, but a ceremony's user always comes from params.encrypted_user.
  const userHeader = ctx.headers['x-encrypted-user'];
  if (userHeader !== undefined && userHeader !== '') {
    if (userHeader.length > limits.headerEnvelopeChars) throw new GatewayError('envelope_invalid', 'user header too long');
    openEnvelope(clientKey.key, userHeader);
  }
  return { ...ctx, scope, clientKey };
}
