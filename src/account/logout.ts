import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { sessionMethod } from '../rpc/rpc-method.js';
import type { SessionService } from '../sessions/session-service.js';

export function logout(deps: { sessions: SessionService; audit: AuditRecorder }) {
  return sessionMethod({
    name: 'logout',
    summary: 'End the current session, or every session of the account (result sealed in encrypted_result)',
    description:
      "Needs X-Encrypted-Session. The session's jti stays revoked until the session would have expired. " +
      "With everywhere: true, every session of the account issued up to now ends, on every device.",
    params: z.object({ everywhere: z.boolean().default(false) }).strict().optional(),
    result: z.object({ revoked: z.literal(true) }),
    async handler(params, ctx) {
      const { session, account } = ctx;
      const facts = { scope_id: account.scope_id, account_id: account.account_id, credential_id: session.credential_id };
      // Written with the revocation itself: both or neither.
      if (params?.everywhere === true) await deps.sessions.endAll(account.account_id, deps.audit.event(ctx, 'sessions_revoked', { ...facts, reason: 'user' }));
      else await deps.sessions.revoke(session, deps.audit.event(ctx, 'sign_out', facts));
      return { revoked: true as const };
    },
  });
}
