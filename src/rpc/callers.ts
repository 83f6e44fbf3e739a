import type { ApiKey } from '../domain/api-key.js';
import type { Account } from '../domain/account.js';
import type { Scope } from '../domain/scope.js';
import { isApiKeySecret, looksLikeApiKey, apiKeySecretHash } from '../api-keys/api-key-secret.js';
import { GatewayError, type ErrorReason } from '../errors/gateway-error.js';
import type { AdminAuthorizer } from '../keys/admin-token.js';
import { requireRecentSignIn } from '../sessions/session-service.js';
import type { SessionClaims } from '../sessions/session-claims.js';
import type { ApiKeyStore } from '../stores/api-key-store.js';
import type { CallContext, ScopedContext } from './rpc-method.js';

/**
 * Who called an admin or server method: the admin token, an API key, or an operator signed in to
 * the console with a session of the operators' scope (whose answer goes back sealed with `clientKey`).
 */
export type Caller =
  | { kind: 'admin' }
  | { kind: 'api_key'; key: ApiKey }
  | { kind: 'operator'; account: Account; session: SessionClaims; scope: Scope; clientKey: Buffer };
export type CallerKind = Caller['kind'];

/**
 * Which callers each kind of operator-facing method takes, and the one reason every refusal gives
 * (so a refusal says nothing of which check failed).
 */
const callersOf = {
  admin: { accepts: ['admin', 'operator'], refusal: 'admin_unauthorized' },
  server: { accepts: ['admin', 'api_key', 'operator'], refusal: 'unauthorized' },
} as const satisfies Record<string, { accepts: readonly CallerKind[]; refusal: ErrorReason }>;

export type CallerMethodKind = keyof typeof callersOf;

export interface CallerAuthenticator {
  /**
   * The caller of an `admin` or `server` method; the method kind's refusal otherwise. A call with
   * an Authorization header is judged by its bearer credential alone. One without is an operator's
   * only when X-Scope-Id names the operators' scope and `scoped` (the pipeline's scope, per-address
   * limit, client key and session steps) finds a session of it, whose passkey sign-in must be
   * recent unless the method only reads.
   */
  authenticate(kind: CallerMethodKind, ctx: CallContext, how: { readOnly: boolean; scoped: (ctx: CallContext) => Promise<ScopedContext> }): Promise<Caller>;
}

const MAX_HEADER_CHARS = 1024;

/**
 * Credentials of operator-facing methods, in one place: an API key secret (recognised by its
 * prefix) is looked up by its hash, a working key of its scope or nothing; any other bearer
 * credential is checked against the admin token, when one is configured; no bearer credential at
 * all, an operator's session of the operators' scope, when the console is on.
 */
export function createCallerAuthenticator(deps: {
  authorizeAdmin?: AdminAuthorizer;
  apiKeys: Pick<ApiKeyStore, 'findActiveApiKey'>;
  /** The operators' scope (ADMIN_CONSOLE on); undefined: no operator sessions. */
  operatorScopeId?: string;
  /** The clock a recent sign-in is judged by. */
  now?: () => number;
}): CallerAuthenticator {
  const now = deps.now ?? Date.now;
  return {
    async authenticate(kind, ctx, how) {
      const { accepts, refusal } = callersOf[kind];
      const accepted = (caller: CallerKind) => (accepts as readonly CallerKind[]).includes(caller);
      const { headers } = ctx;
      const header = headers.authorization;

      if ((header ?? '') === '' && deps.operatorScopeId !== undefined && accepted('operator')) {
        // Another scope's session is refused before it is even opened.
        if (headers['x-scope-id']?.trim().toLowerCase() !== deps.operatorScopeId) throw new GatewayError(refusal, "neither a bearer credential nor the operators' scope");
        const scoped = await how.scoped(ctx);
        const signedIn = await scoped.signedIn();
        if (signedIn === null) throw new GatewayError(refusal, 'no operator session');
        if (!how.readOnly) requireRecentSignIn(signedIn.session, scoped.scope, now());
        ctx.log.info({ requestId: ctx.requestId, operator_account_id: signedIn.account.account_id }, 'operator call');
        return { kind: 'operator', account: signedIn.account, session: signedIn.session, scope: scoped.scope, clientKey: scoped.clientKey.key };
      }

      const match = header !== undefined && header.length <= MAX_HEADER_CHARS ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
      const credential = match?.[1] ?? '';
      if (accepted('api_key') && looksLikeApiKey(credential)) {
        const key = isApiKeySecret(credential) ? await deps.apiKeys.findActiveApiKey(apiKeySecretHash(credential)) : null;
        if (key === null) throw new GatewayError(refusal, 'unknown, revoked or malformed API key');
        // Operators are invited and sign in with passkeys; a key made for their scope some other way
        // (the scope CLI writes to the database directly) acts for nobody.
        if (key.scope_id === deps.operatorScopeId) throw new GatewayError(refusal, "an API key of the operators' scope");
        return { kind: 'api_key', key };
      }
      if (accepted('admin') && deps.authorizeAdmin !== undefined) {
        try {
          deps.authorizeAdmin(header);
        } catch {
          throw new GatewayError(refusal, 'admin token missing or wrong');
        }
        return { kind: 'admin' };
      }
      throw new GatewayError(refusal, 'no accepted bearer credential');
    },
  };
}

/** Who made a change through a server method, as its audit event records it. */
export function actedBy(caller: Caller): { reason: 'admin' | 'api_key' | 'operator'; api_key_id: string | null } {
  if (caller.kind === 'api_key') return { reason: 'api_key', api_key_id: caller.key.key_id };
  return { reason: caller.kind, api_key_id: null };
}
