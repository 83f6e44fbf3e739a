import { openEnvelope } from '../envelope/aes-gcm-envelope.js';
import { GatewayError } from '../errors/gateway-error.js';
import { limits } from '../rpc/limits.js';
import type { ScopedContext, SessionContext } from '../rpc/rpc-method.js';
import type { SessionService } from './session-service.js';

export interface SessionDeps {
  sessions: SessionService;
}

/**
 * The session a call carries in X-Encrypted-Session: sealed with the call's client key, and
 * passing the one session check for this scope and that client key (see SessionService.check).
 * Returns null when the header is absent.
 */
export async function optionalSession(ctx: ScopedContext, deps: SessionDeps): Promise<SessionContext | null> {
  const header = ctx.headers['x-encrypted-session'];
  if (header === undefined || header === '') return null;
  if (header.length > limits.headerEnvelopeChars) throw new GatewayError('session_invalid', 'session header too long');
  let jwt: string;
  try {
    jwt = openEnvelope(ctx.clientKey.key, header);
  } catch {
    throw new GatewayError('session_invalid', 'session envelope did not open with this client key');
  }
  const { claims, account } = await deps.sessions.check(jwt, { scopeId: ctx.scope.scope_id, clientKeyThumbprint: ctx.clientKey.thumbprint });
  return { ...ctx, session: claims, account };
}

export async function requireSession(ctx: ScopedContext, deps: SessionDeps): Promise<SessionContext> {
  const session = await optionalSession(ctx, deps);
  if (session === null) throw new GatewayError('session_invalid', 'no session header');
  return session;
}
