import { z } from 'zod';
import { sessionMethod } from '../rpc/rpc-method.js';
import type { SessionService } from '../sessions/session-service.js';

export function logout(deps: { sessions: SessionService }) {
  return sessionMethod({
    name: 'logout',
    summary: 'Revoke the current session (result sealed in encrypted_result)',
    description: "Needs X-Encrypted-Session. The session's jti stays revoked until the session would have expired.",
    params: z.object({}).strict().optional(),
    result: z.object({ revoked: z.literal(true) }),
    async handler(_params, { session }) {
      await deps.sessions.revoke(session);
      return { revoked: true as const };
    },
  });
}
