import { z } from 'zod';

/** The claims of a session JWT; a relying app may verify them offline against the JWKS. */
export const sessionClaimsSchema = z.object({
  iss: z.string(),
  sub: z.string(),
  account_id: z.string(),
  aud: z.string().describe('the scope id'),
  iat: z.number().int(),
  exp: z.number().int(),
  /** When the passkey ceremony that started the session happened (OIDC's claim), for step-up checks. */
  auth_time: z.number().int().describe('time of the passkey sign-in or registration that started the session'),
  jti: z.string(),
  /** Whether that ceremony verified the user (WebAuthn UV flag); absent in sessions issued before it was recorded. */
  uv: z.boolean().optional().describe('whether the passkey ceremony that started the session verified the user (UV)'),
  identifier_hash: z.string(),
  /** The app's own id of the user (createRegistrationToken); absent for accounts without one. */
  user_id: z.string().optional().describe("the app's own user id, for accounts registered with a registration token"),
  /** A sign-in that a createSignInToken token started: a second factor after the app's own first one. */
  second_factor: z.literal(true).optional().describe('the sign-in was a second factor (createSignInToken)'),
  /**
   * A session that may not act as a primary one: `recovery` (recoverAccount: it can only add a
   * passkey), `second_factor` (a second-factor sign-in in a scope whose second_factor_sessions is refused).
   */
  restricted: z.enum(['recovery', 'second_factor']).optional().describe('a session that may not act as a primary session'),
  credential_id: z.string().describe('the passkey that started the session'),
  public_key: z.string().describe('compressed secp256k1 public key, 66 hex characters, no 0x'),
  address: z.string().describe('Ethereum address of public_key'),
  /** RFC 7800 confirmation: the session is accepted only under the client key it was issued to. */
  cnf: z
    .object({ jkt: z.string().describe("JWK SHA-256 thumbprint (RFC 7638) of the client's AES key") })
    .describe('the client key the session is bound to'),
});

export type SessionClaims = z.infer<typeof sessionClaimsSchema>;
