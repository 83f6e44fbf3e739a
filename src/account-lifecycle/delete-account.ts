import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { GatewayError } from '../errors/gateway-error.js';
import { actedBy } from '../rpc/callers.js';
import { serverMethod } from '../rpc/rpc-method.js';
import type { SessionService } from '../sessions/session-service.js';
import type { AccountStore } from '../stores/account-store.js';
import { accountInScope, accountRefSchema } from './account-ref.js';

export function deleteAccount(deps: { accounts: AccountStore; audit: AuditRecorder; sessions: SessionService }) {
  return serverMethod({
    name: 'deleteAccount',
    summary: 'Delete an account with its passkeys and sessions (server key or admin)',
    description:
      'Needs Authorization: Bearer <API key> (or, with scope_id, the admin token or an operator session). Its sessions end first (for every method and verify), ' +
      'then the account and all it owns are erased at once; its username is free again. The audit log keeps account_deleted with the ' +
      "account's identifier hash, never the username.",
    params: accountRefSchema,
    result: z.object({ account_id: z.string(), scope_id: z.string(), deleted: z.literal(true) }),
    async handler(ref, ctx) {
      const account = await accountInScope(deps.accounts, ctx.scope.scope_id, ref);
      const who = actedBy(ctx.caller);
      const facts = { scope_id: account.scope_id, account_id: account.account_id, ...who };
      // Sessions end before anything is erased: should the erasing fail, no session outlives the attempt.
      if (!(await deps.sessions.endAll(account.account_id, deps.audit.event(ctx, 'sessions_revoked', facts)))) throw new GatewayError('account_not_found');
      const deleted = await deps.accounts.deleteAccount(account.scope_id, account.account_id, deps.audit.event(ctx, 'account_deleted', { ...facts, identifier_hash: account.identifier_hash }));
      if (!deleted) throw new GatewayError('account_not_found');
      return { account_id: account.account_id, scope_id: account.scope_id, deleted: true as const };
    },
  });
}
