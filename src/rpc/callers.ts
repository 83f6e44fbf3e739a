import type { ApiKey } from '../domain/api-key.js';
import { isApiKeySecret, looksLikeApiKey, apiKeySecretHash } from '../api-keys/api-key-secret.js';
import { GatewayError, type ErrorReason } from '../errors/gateway-error.js';
import type { AdminAuthorizer } from '../keys/admin-token.js';
import type { ApiKeyStore } from '../stores/api-key-store.js';
import type { CallContext } from './rpc-method.js';

/** Who called an admin or server method, as its bearer credential proved. */
export type Caller = { kind: 'admin' } | { kind: 'api_key'; key: ApiKey };
export type CallerKind = Caller['kind'];

/**
 * Which callers each kind of operator-facing method takes, and the one reason every refusal gives
 * (so a refusal says nothing of which check failed). Another way to call (an operator's console
 * session, say) is a new Caller kind, a line here and a branch in `authenticate`.
 */
const callersOf = {
  admin: { accepts: ['admin'], refusal: 'admin_unauthorized' },
  server: { accepts: ['admin', 'api_key'], refusal: 'unauthorized' },
} as const satisfies Record<string, { accepts: readonly CallerKind[]; refusal: ErrorReason }>;

export type CallerMethodKind = keyof typeof callersOf;

export interface CallerAuthenticator {
  /** The caller of an `admin` or `server` method from its Authorization header; the method kind's refusal otherwise. */
  authenticate(kind: CallerMethodKind, headers: CallContext['headers']): Promise<Caller>;
}

const MAX_HEADER_CHARS = 1024;

/**
 * Bearer credentials of operator-facing methods, in one place: an API key secret (recognised by its
 * prefix) is looked up by its hash, a working key of its scope or nothing; anything else is checked
 * against the admin token, when one is configured.
 */
export function createCallerAuthenticator(deps: { authorizeAdmin?: AdminAuthorizer; apiKeys: Pick<ApiKeyStore, 'findActiveApiKey'> }): CallerAuthenticator {
  return {
    async authenticate(kind, headers) {
      const { accepts, refusal } = callersOf[kind];
      const accepted = (caller: CallerKind) => (accepts as readonly CallerKind[]).includes(caller);
      const header = headers.authorization;
      const match = header !== undefined && header.length <= MAX_HEADER_CHARS ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
      const credential = match?.[1] ?? '';
      if (accepted('api_key') && looksLikeApiKey(credential)) {
        const key = isApiKeySecret(credential) ? await deps.apiKeys.findActiveApiKey(apiKeySecretHash(credential)) : null;
        if (key === null) throw new GatewayError(refusal, 'unknown, revoked or malformed API key');
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
export function actedBy(caller: Caller): { reason: 'admin' | 'api_key'; api_key_id: string | null } {
  return caller.kind === 'api_key' ? { reason: 'api_key', api_key_id: caller.key.key_id } : { reason: 'admin', api_key_id: null };
}
