import { openEnvelope } from '../envelope/aes-gcm-envelope.js';
import { GatewayError } from '../errors/gateway-error.js';
import { limits } from '../rpc/limits.js';
import type { ScopedContext, SessionContext } from '../rpc/rpc-method.js';
import type { AccountStore } from '../stores/account-store.js';
import type { SessionService } from './session-service.js';

export interface SessionDeps {
  sessions: SessionService;
  accounts: AccountStore;
}

/**
 * The session a call carries in X-Encrypted-Session: sealed with the same client key, signed by
 * us, unexpired, for this scope, not revoked, and for an account that still exists and is enabled.
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
  const session = await deps.sessions.verify(jwt, ctx.scope.scope_id);
  const account = await deps.accounts.getAccount(session.account_id);
  if (account === null || account.scope_id !== ctx.scope.scope_id) throw new GatewayError('session_invalid', 'account gone');
  if (account.disabled) throw new GatewayError('account_disabled');
  return { ...ctx, session, account };
}

export async function requireSession(ctx: ScopedContext, deps: SessionDeps): Promise<SessionContext> {
  const session = await optionalSession(ctx, deps);
  if (session === null) throw new GatewayError('session_invalid', 'no session header');
  return session;
}
