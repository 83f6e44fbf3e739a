import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { GatewayError } from '../errors/gateway-error.js';
import { limits } from '../domain/limits.js';
import { sessionMethod } from '../rpc/rpc-method.js';
import { requireRecentSignIn } from '../sessions/session-service.js';
import type { AccountStore } from '../stores/account-store.js';

export function deleteCredential(deps: { accounts: AccountStore; audit: AuditRecorder; now: () => number }) {
  return sessionMethod({
    name: 'deleteCredential',
    summary: 'Delete one of the signed-in account\'s passkeys (result sealed in encrypted_result)',
    description:
      'Needs X-Encrypted-Session from a sign-in within the scope\'s reauth_window_s (else reauthentication_required). ' +
      'The last passkey of an account is refused with last_credential. Sessions the deleted passkey started end with it.',
    params: z.object({ credential_id: z.string().min(1).max(limits.credentialIdChars) }),
    result: z.object({ credential_id: z.string(), deleted: z.literal(true) }),
    async handler({ credential_id }, ctx) {
      const { account, session, scope } = ctx;
      // Deleting the owner's passkeys is how a session thief would lock them out: it needs a recent sign-in.
      requireRecentSignIn(session, scope, deps.now());
      const audit = deps.audit.event(ctx, 'credential_deleted', { scope_id: account.scope_id, account_id: account.account_id, credential_id });
      const outcome = await deps.accounts.deleteCredential(account.account_id, credential_id, audit);
      if (outcome === 'not_found') throw new GatewayError('credential_not_found');
      if (outcome === 'last_credential') throw new GatewayError('last_credential');
      return { credential_id, deleted: true as const };
    },
  });
}
