import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { sessionMethod } from '../rpc/rpc-method.js';
import type { SessionService } from '../sessions/session-service.js';

export function logout(deps: { sessions: SessionService; audit: AuditRecorder }) {
  return sessionMethod({
    name: 'logout',
    summary: 'Revoke the current session (result sealed in encrypted_result)',
    description: "Needs X-Encrypted-Session. The session's jti stays revoked until the session would have expired.",
    params: z.object({}).strict().optional(),
    result: z.object({ revoked: z.literal(true) }),
    async handler(_params, ctx) {
      const { session, account } = ctx;
      await deps.sessions.revoke(session);
      await deps.audit.record(ctx, 'sign_out', { scope_id: account.scope_id, account_id: account.account_id, credential_id: session.credential_id });
      return { revoked: true as const };
    },
  });
}
