import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTHeaderParameters } from 'jose';
import { signEs256Jws } from './es256-jws.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { SessionKeyRing } from '../keys/session-key-ring.js';
import type { Scope } from '../scopes/scope.js';
import type { Account } from '../stores/account-store.js';
import type { ChallengeStore } from '../stores/challenge-store.js';
import { sessionClaimsSchema, type SessionClaims } from './session-claims.js';

const REVOKED_PREFIX = 'revoked-session:';

export interface SessionService {
  /** Signs a new session for the account, valid for the scope's session_ttl. */
  issue(account: Account, credentialId: string, scope: Scope): Promise<string>;
  /** Verifies signature, issuer, expiry and revocation; any failure is `session_invalid`. */
  verify(jwt: string, expectedScopeId?: string): Promise<SessionClaims>;
  /** Revokes the session's jti until the session would have expired anyway. */
  revoke(claims: SessionClaims): Promise<void>;
  /** The public keys for offline verification. */
  jwks(): { keys: Record<string, unknown>[] };
}

export function createSessionService(deps: { keys: SessionKeyRing; issuer: string; revocations: ChallengeStore; now: () => number }): SessionService {
  const { keys, issuer, revocations, now } = deps;
  const jwks = { keys: keys.all.map((key) => ({ ...key.jwk })) };
  const keyFor = (header: JWTHeaderParameters) => {
    const key = header.kid === undefined ? undefined : keys.byKid.get(header.kid);
    if (key === undefined) throw new GatewayError('session_invalid', 'unknown kid');
    return key.publicKey;
  };

  return {
    async issue(account, credentialId, scope) {
      const issuedAt = Math.floor(now() / 1000);
      const claims = {
        account_id: account.account_id,
        identifier_hash: account.identifier_hash,
        credential_id: credentialId,
        public_key: account.public_key,
        address: account.address,
        iss: issuer,
        sub: account.account_id,
        aud: scope.scope_id,
        iat: issuedAt,
        exp: issuedAt + scope.session_ttl,
        jti: randomUUID(),
      };
      return signEs256Jws({ alg: 'ES256', typ: 'JWT', kid: keys.current.kid }, claims, keys.current.privateKey);
    },

    async verify(jwt, expectedScopeId) {
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(jwt, keyFor, {
          algorithms: ['ES256'],
          issuer,
          audience: expectedScopeId,
          currentDate: new Date(now()),
          requiredClaims: ['exp', 'iat', 'jti', 'sub', 'aud'],
        }));
      } catch (error) {
        if (error instanceof GatewayError) throw error;
        const detail = error instanceof joseErrors.JOSEError ? error.code : 'malformed session';
        throw new GatewayError('session_invalid', detail);
      }
      const claims = sessionClaimsSchema.safeParse(payload);
      if (!claims.success) throw new GatewayError('session_invalid', 'claims missing');
      if ((await revocations.peek(REVOKED_PREFIX + claims.data.jti)) !== null) throw new GatewayError('session_invalid', 'revoked');
      return claims.data;
    },

    async revoke(claims) {
      const remainingMs = claims.exp * 1000 - now();
      if (remainingMs > 0) await revocations.put(REVOKED_PREFIX + claims.jti, '1', remainingMs);
    },

    jwks: () => jwks,
  };
}
