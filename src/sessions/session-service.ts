import { randomUUID, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTHeaderParameters } from 'jose';
import type { NewAuditEvent } from '../domain/audit-event.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { SessionKeyRing } from '../keys/session-key-ring.js';
import type { Scope } from '../domain/scope.js';
import type { Account } from '../domain/account.js';
import type { SessionStore } from '../stores/session-store.js';
import { signEs256Jws } from './es256-jws.js';
import { sessionClaimsSchema, type SessionClaims } from './session-claims.js';

/** A session that passed the check: its claims and its account as it is now. */
export interface CheckedSession {
  claims: SessionClaims;
  account: Account;
}

/** What kind of sign-in a new session comes from, beyond the passkey ceremony itself. */
export interface SessionOrigin {
  /** The session an automatic passkey upgrade relied on (see issue). */
  upgraded?: Pick<SessionClaims, 'auth_time' | 'uv'>;
  /** A second-factor sign-in (createSignInToken). */
  secondFactor?: boolean;
}

export interface SessionService {
  /**
   * Signs a new session for the account, started by the passkey `credentialId` (whose ceremony
   * verified the user when `userVerified`), bound to the client key with thumbprint
   * `clientKeyThumbprint`, valid for the scope's session_ttl. With `upgraded` (the session an
   * automatic passkey upgrade relied on, a ceremony that proved no user presence) the new session
   * carries that session's auth_time and uv instead: it is no more recent, nor more verified.
   */
  issue(account: Account, credentialId: string, scope: Scope, clientKeyThumbprint: string, userVerified: boolean, origin?: SessionOrigin): string;
  /**
   * A recovery session (recoverAccount): short-lived (at most 10 minutes), started by no passkey,
   * and refused by every check that does not allow it: it can only add a passkey.
   */
  issueRecovery(account: Account, scope: Scope, clientKeyThumbprint: string): string;
  /**
   * The one session check every consumer uses (authenticated methods and `verify`): signature,
   * issuer, audience (`scopeId`, when given), expiry; then, from the session store, that the jti is
   * not revoked, the account still exists in the session's scope, the passkey that started the
   * session is still on the account (and was not registered again since), the session is not older
   * than the account's sessions-valid-after time, and the account is enabled. With
   * `clientKeyThumbprint`, the session must also be bound to that client key (its `cnf.jkt`).
   * Every failure is `session_invalid`, but a disabled account, which is `account_disabled`.
   * A restricted session (see SessionClaims.restricted) is refused, but a recovery session where
   * `allowRecovery` (adding a passkey).
   */
  check(jwt: string, expected?: { scopeId?: string; clientKeyThumbprint?: string; allowRecovery?: boolean }): Promise<CheckedSession>;
  /** Revokes one session until it would have expired anyway; `audit` is written with the revocation. */
  revoke(claims: SessionClaims, audit?: NewAuditEvent): Promise<void>;
  /** Ends every session of the account issued up to now; false when there is no such account. */
  endAll(accountId: string, audit?: NewAuditEvent): Promise<boolean>;
  /** The public keys for offline verification. */
  jwks(): { keys: Record<string, unknown>[] };
}

/** The longest a recovery session lives: long enough to add a passkey, no longer. */
const RECOVERY_SESSION_SECONDS = 600;

export function createSessionService(deps: { keys: SessionKeyRing; issuer: string; sessionStore: SessionStore; now: () => number }): SessionService {
  const { keys, issuer, sessionStore, now } = deps;
  const jwks = { keys: keys.all.map((key) => ({ ...key.jwk })) };
  const keyFor = (header: JWTHeaderParameters) => {
    const key = header.kid === undefined ? undefined : keys.byKid.get(header.kid);
    if (key === undefined) throw new GatewayError('session_invalid', 'unknown kid');
    return key.publicKey;
  };

  const verifyToken = async (jwt: string, scopeId: string | undefined): Promise<SessionClaims> => {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(jwt, keyFor, {
        algorithms: ['ES256'],
        issuer,
        audience: scopeId,
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
    return claims.data;
  };

  const sign = (claims: SessionClaims) => signEs256Jws({ alg: 'ES256', typ: 'JWT', kid: keys.current.kid }, claims, keys.current.privateKey);
  const baseClaims = (account: Account, scope: Scope, issuedAt: number) => ({
    account_id: account.account_id,
    identifier_hash: account.identifier_hash,
    ...(account.user_id === null ? {} : { user_id: account.user_id }),
    public_key: account.public_key,
    address: account.address,
    iss: issuer,
    sub: account.account_id,
    aud: scope.scope_id,
    iat: issuedAt,
    jti: randomUUID(),
  });

  return {
    issue(account, credentialId, scope, clientKeyThumbprint, userVerified, origin = {}) {
      const { upgraded, secondFactor = false } = origin;
      const issuedAt = Math.floor(now() / 1000);
      const claims: SessionClaims = {
        ...baseClaims(account, scope, issuedAt),
        credential_id: credentialId,
        exp: issuedAt + scope.session_ttl,
        // Sessions are only ever issued by a passkey ceremony, which happened now (or, for an automatic upgrade, at the sign-in it relied on).
        auth_time: Math.min(upgraded?.auth_time ?? issuedAt, issuedAt),
        uv: upgraded === undefined ? userVerified : upgraded.uv === true,
        ...(secondFactor ? { second_factor: true as const } : {}),
        ...(secondFactor && scope.second_factor_sessions === 'refused' ? { restricted: 'second_factor' as const } : {}),
        cnf: { jkt: clientKeyThumbprint },
      };
      return sign(claims);
    },

    issueRecovery(account, scope, clientKeyThumbprint) {
      const issuedAt = Math.floor(now() / 1000);
      return sign({
        ...baseClaims(account, scope, issuedAt),
        // Started by a recovery code, not a passkey: no passkey's deletion ends it (sessions_valid_after and revocation do).
        credential_id: '',
        exp: issuedAt + Math.min(scope.session_ttl, RECOVERY_SESSION_SECONDS),
        auth_time: issuedAt,
        uv: false,
        restricted: 'recovery',
        cnf: { jkt: clientKeyThumbprint },
      });
    },

    async check(jwt, expected = {}) {
      const claims = await verifyToken(jwt, expected.scopeId);
      if (expected.clientKeyThumbprint !== undefined && !sameText(claims.cnf.jkt, expected.clientKeyThumbprint)) {
        throw new GatewayError('session_invalid', 'session bound to another client key');
      }
      // Here, in the one check, so no method can forget it: a restricted session acts nowhere but where it is allowed.
      if (claims.restricted === 'second_factor') throw new GatewayError('session_invalid', 'a second-factor session, which this scope refuses as a session');
      const recovery = claims.restricted === 'recovery';
      if (recovery && expected.allowRecovery !== true) throw new GatewayError('session_invalid', 'a recovery session can only add a passkey');
      const state = await sessionStore.sessionState(claims.account_id, claims.credential_id, claims.jti);
      if (state === null || state.account.scope_id !== claims.aud) throw new GatewayError('session_invalid', 'account gone');
      if (state.revoked) throw new GatewayError('session_invalid', 'revoked');
      // A passkey deleted, or deleted and registered again since, no longer carries its sessions.
      if (!recovery && (state.credential_created_at === null || secondsOf(state.credential_created_at) > claims.iat)) {
        throw new GatewayError('session_invalid', 'the passkey that started the session was deleted');
      }
      if (state.sessions_valid_after !== null && claims.iat * 1000 < Date.parse(state.sessions_valid_after)) {
        throw new GatewayError('session_invalid', "ended with all of the account's sessions");
      }
      if (state.account.disabled) throw new GatewayError('account_disabled');
      return { claims, account: state.account };
    },

    async revoke(claims, audit) {
      const revocation = { jti: claims.jti, account_id: claims.account_id, expires_at: new Date(claims.exp * 1000).toISOString() };
      await sessionStore.revokeSession(revocation, new Date(now()).toISOString(), audit);
    },

    async endAll(accountId, audit) {
      // Sessions carry whole seconds: everything issued up to the end of this second is over.
      const validAfter = (Math.floor(now() / 1000) + 1) * 1000;
      return sessionStore.endSessions(accountId, new Date(validAfter).toISOString(), audit);
    },

    jwks: () => jwks,
  };
}

/**
 * Refuses a sensitive change (adding or deleting a passkey) unless the session's passkey ceremony
 * happened within the scope's reauthentication window (or `windowSeconds`, for signing).
 */
export function requireRecentSignIn(claims: SessionClaims, scope: Scope, now: number, windowSeconds = scope.reauth_window_s): void {
  if (now / 1000 - claims.auth_time > windowSeconds) {
    throw new GatewayError('reauthentication_required', `signed in ${Math.round(now / 1000 - claims.auth_time)} s ago`);
  }
}

function secondsOf(timestamp: string): number {
  return Math.floor(Date.parse(timestamp) / 1000);
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
