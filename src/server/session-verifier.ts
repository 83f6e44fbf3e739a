import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { sessionClaimsSchema } from '../sessions/session-claims.js';
import { GatewayServerError } from './gateway-server-error.js';


/** A session the gateway signed, as an app backend relies on it. */
export interface VerifiedSession {
  account_id: string;
  /** The app's own user id, for accounts registered with a registration token; null otherwise. */
  user_id: string | null;
  /** The scope the session belongs to (its `aud`). */
  scope_id: string;
  /** The session's id (`jti`), e.g. to log it or to revoke everything of the account later. */
  session_id: string;
  /** The passkey that started the session. */
  credential_id: string;
  identifier_hash: string;
  /** When the passkey ceremony that started the session happened (Unix seconds). */
  auth_time: number;
  /** When the session ends (Unix seconds). */
  expires_at: number;
  /** Whether that ceremony verified the user (WebAuthn UV). */
  user_verified: boolean;
  /** The sign-in was a second factor, started with a createSignInToken token. */
  second_factor: boolean;
  address: string;
}

export interface SessionVerifierOptions {
  /** Expected `iss` (the gateway's SESSION_ISSUER). */
  issuer: string;
  /** Expected `aud`: the app's scope id. */
  scopeId: string;
  /** Fetches the gateway's JWKS (its getJwks method). */
  fetchJwks: () => Promise<unknown>;
  /** How long a fetched JWKS is used before it is fetched again. */
  jwksMaxAgeMs: number;
  /** A token signed by a key the cached JWKS lacks fetches it again, but at most this often. */
  jwksCooldownMs: number;
  clockToleranceS: number;
  now: () => number;
}

const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })).max(100) });

/**
 * Offline verification of session JWTs against a cached copy of the gateway's JWKS: signature
 * (ES256 only), issuer, audience, expiry. It cannot know of revocations (logout, revokeSessions, a
 * deleted passkey): the gateway's `verify` method does, at the cost of a call.
 */
export function createSessionVerifier(options: SessionVerifierOptions) {
  let cached: { keySet: JWTVerifyGetKey; fetchedAt: number } | undefined;
  let inFlight: Promise<JWTVerifyGetKey> | undefined;

  // One fetch at a time, shared by every verification waiting for it.
  const refresh = (): Promise<JWTVerifyGetKey> =>
    (inFlight ??= (async () => {
      try {
        const parsed = jwksSchema.safeParse(await options.fetchJwks());
        if (!parsed.success) throw new GatewayServerError('unexpected_reply', 'getJwks: not a JWKS', { method: 'getJwks' });
        const keySet = createLocalJWKSet(parsed.data);
        cached = { keySet, fetchedAt: options.now() };
        return keySet;
      } finally {
        inFlight = undefined;
      }
    })());

  const getKey: JWTVerifyGetKey = async (header, token) => {
    const fresh = cached !== undefined && options.now() - cached.fetchedAt < options.jwksMaxAgeMs;
    const keySet = fresh ? cached!.keySet : await refresh();
    try {
      return await keySet(header, token);
    } catch (error) {
      // A key the gateway rotated in since the last fetch; the cooldown keeps forged kids from making us fetch on every call.
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || options.now() - (cached?.fetchedAt ?? 0) < options.jwksCooldownMs) throw error;
      return (await refresh())(header, token);
    }
  };

  return async function verifySession(jwt: string, { allowSecondFactor = false }: { allowSecondFactor?: boolean } = {}): Promise<VerifiedSession> {
    if (typeof jwt !== 'string') throw new TypeError('verifySession: the session must be a string');
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(jwt, getKey, {
        algorithms: ['ES256'],
        issuer: options.issuer,
        // A restricted session's aud is "<scope>#<restriction>": only a second factor, and only when asked for, is taken.
        audience: allowSecondFactor ? [options.scopeId, `${options.scopeId}#second_factor`] : options.scopeId,
        clockTolerance: options.clockToleranceS,
        currentDate: new Date(options.now()),
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (error) {
      if (error instanceof GatewayServerError) throw error;
      // One answer for every way a token fails, as the gateway gives; jose's code says which, for the app's log.
      const detail = error instanceof joseErrors.JOSEError ? error.code : 'malformed session';
      throw new GatewayServerError('session_invalid', `verifySession: ${detail}`, { cause: error });
    }
    const parsed = sessionClaimsSchema.safeParse(payload);
    if (!parsed.success) throw new GatewayServerError('session_invalid', 'verifySession: the session lacks claims', { cause: parsed.error });
    const claims = parsed.data;
    const restrictedAud = claims.restricted === undefined ? options.scopeId : `${options.scopeId}#${claims.restricted}`;
    if (claims.aud !== restrictedAud) throw new GatewayServerError('session_invalid', 'verifySession: audience and restriction differ');
    // A recovery session may only add a passkey; a restricted second factor is not a sign-in of its own.
    if (claims.restricted === 'recovery' || (claims.restricted === 'second_factor' && !allowSecondFactor)) {
      throw new GatewayServerError('session_invalid', `verifySession: a ${claims.restricted} session is not a sign-in`);
    }
    return {
      account_id: claims.account_id,
      user_id: claims.user_id ?? null,
      scope_id: options.scopeId,
      session_id: claims.jti,
      credential_id: claims.credential_id,
      identifier_hash: claims.identifier_hash,
      auth_time: claims.auth_time,
      expires_at: claims.exp,
      user_verified: claims.uv === true,
      second_factor: claims.second_factor === true || claims.restricted === 'second_factor',
      address: claims.address,
    };
  };
}
