import { z } from 'zod';
import { limits } from '../rpc/limits.js';
import { publicMethod } from '../rpc/rpc-method.js';
import { sessionClaimsSchema } from './session-claims.js';
import type { SessionService } from './session-service.js';

const jwkSchema = z.object({ kty: z.string(), crv: z.string(), x: z.string(), y: z.string(), kid: z.string(), alg: z.string(), use: z.string() });
export const jwksSchema = z.object({ keys: z.array(jwkSchema) });
const noParams = z.union([z.object({}).strict(), z.array(z.never()).max(0)]).optional();

export function getJwks(deps: { sessions: SessionService }) {
  return publicMethod({
    name: 'getJwks',
    summary: 'The public keys session JWTs are signed with (also at GET /.well-known/jwks.json)',
    description: 'Needs no scope and no envelope. Relying apps verify sessions offline with these (ES256).',
    params: noParams,
    result: jwksSchema,
    async handler() {
      return deps.sessions.jwks() as z.input<typeof jwksSchema>;
    },
  });
}

export function verifySession(deps: { sessions: SessionService }) {
  return publicMethod({
    name: 'verify',
    summary: 'Check a session JWT: its claims, or session_invalid',
    description:
      'Needs no scope and no envelope. The same check authenticated methods make (signature, issuer, expiry, revocation, the account ' +
      'enabled, the passkey that started the session still present, sessions not ended), except the client-key binding; ' +
      'the caller checks aud against its scope. A disabled account is account_disabled.',
    params: z.object({ jwt: z.string().min(1).max(limits.sessionJwtChars) }),
    result: z.object({ claims: sessionClaimsSchema }),
    async handler({ jwt }) {
      return { claims: (await deps.sessions.check(jwt)).claims };
    },
  });
}
