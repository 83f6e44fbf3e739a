import { z } from 'zod';
import { limits } from '../domain/limits.js';
import { publicMethod } from '../rpc/rpc-method.js';
import { sessionClaimsSchema } from '../sessions/session-claims.js';
import type { SessionService } from '../sessions/session-service.js';

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
