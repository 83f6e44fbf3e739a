import { z } from 'zod';

/** The claims of a session JWT; a relying app may verify them offline against the JWKS. */
export const sessionClaimsSchema = z.object({
  iss: z.string(),
  sub: z.string(),
  account_id: z.string(),
  aud: z.string().describe('the scope id'),
  iat: z.number().int(),
  exp: z.number().int(),
  jti: z.string(),
  identifier_hash: z.string(),
  credential_id: z.string(),
  public_key: z.string().describe('compressed secp256k1 public key, 66 hex characters, no 0x'),
  address: z.string().describe('Ethereum address of public_key'),
});

export type SessionClaims = z.infer<typeof sessionClaimsSchema>;
