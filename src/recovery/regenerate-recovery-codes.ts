import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { GatewayError } from '../errors/gateway-error.js';
import { newRecoveryCodeSet, RECOVERY_CODE_COUNT } from '../identity/recovery-codes.js';
import { sessionMethod } from '../rpc/rpc-method.js';
import { requireRecentSignIn } from '../sessions/session-service.js';
import type { RecoveryCodeStore } from '../stores/recovery-code-store.js';
import { hasOwnUsername } from '../tokens/registration-target.js';

export function regenerateRecoveryCodes(deps: { recoveryCodes: RecoveryCodeStore; audit: AuditRecorder; identifierSecret: Buffer; now: () => number }) {
  return sessionMethod({
    name: 'regenerateRecoveryCodes',
    summary: "Replace the signed-in account's recovery codes (result sealed in encrypted_result)",
    description:
      "Needs X-Encrypted-Session from a sign-in within the scope's reauth_window_s (else reauthentication_required). " +
      'Ten new codes replace every old one, used or not, at once. Only in scopes with recovery_codes on, for accounts with a username.',
    params: z.object({}).strict().optional(),
    result: z.object({ codes: z.array(z.string()).describe('ten single-use codes, shown once'), remaining: z.number().int() }),
    async handler(_params, ctx) {
      const { account, session, scope } = ctx;
      if (scope.recovery_codes !== 'on' || !hasOwnUsername(account)) throw new GatewayError('method_not_found', 'no recovery codes for this account');
      // New codes are a lasting way in for whoever holds the session: it needs a recent sign-in.
      requireRecentSignIn(session, scope, deps.now());
      const { codes, hashes } = newRecoveryCodeSet(deps.identifierSecret, account.account_id);
      const audit = deps.audit.event(ctx, 'recovery_codes_regenerated', { scope_id: scope.scope_id, account_id: account.account_id });
      if (!(await deps.recoveryCodes.replaceRecoveryCodes(scope.scope_id, account.account_id, hashes, new Date(deps.now()).toISOString(), audit))) {
        throw new GatewayError('session_invalid', 'account gone');
      }
      return { codes, remaining: RECOVERY_CODE_COUNT };
    },
  });
}
