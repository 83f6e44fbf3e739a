import { z } from 'zod';
import { publicMethod } from '../rpc/rpc-method.js';
import { noParams } from './no-params.js';
import type { SessionService } from '../sessions/session-service.js';

const jwkSchema = z.object({ kty: z.string(), crv: z.string(), x: z.string(), y: z.string(), kid: z.string(), alg: z.string(), use: z.string() });
export const jwksSchema = z.object({ keys: z.array(jwkSchema) });

export function getJwks(deps: { sessions: SessionService }) {
  return publicMethod({
    name: 'getJwks',
    summary: 'The public keys session JWTs are signed with (also at GET /.well-known/jwks.json)',
    description: 'Needs no scope and no envelope. Relying apps verify sessions offline with these (ES256).',
    params: noParams,
    result: jwksSchema,
    handler() {
      return deps.sessions.jwks() as z.input<typeof jwksSchema>;
    },
  });
}
