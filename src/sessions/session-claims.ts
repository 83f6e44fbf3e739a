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
  credential_id: z.string().describe('the passkey that started the session'),
  public_key: z.string().describe('compressed secp256k1 public key, 66 hex characters, no 0x'),
  address: z.string().describe('Ethereum address of public_key'),
  /** RFC 7800 confirmation: the session is accepted only under the client key it was issued to. */
  cnf: z
    .object({ jkt: z.string().describe("JWK SHA-256 thumbprint (RFC 7638) of the client's AES key") })
    .describe('the client key the session is bound to'),
});

export type SessionClaims = z.infer<typeof sessionClaimsSchema>;
