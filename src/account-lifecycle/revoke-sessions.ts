import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { GatewayError } from '../errors/gateway-error.js';
import { actedBy } from '../rpc/callers.js';
import { serverMethod } from '../rpc/rpc-method.js';
import type { SessionService } from '../sessions/session-service.js';
import type { AccountStore } from '../stores/account-store.js';
import { accountInScope, accountRefSchema } from './account-ref.js';

/** Ends every session of an account, e.g. when a device was lost or a session leaked. */
export function revokeSessions(deps: { accounts: AccountStore; audit: AuditRecorder; sessions: SessionService }) {
  return serverMethod({
    name: 'revokeSessions',
    summary: 'End every session of an account (server key or admin)',
    description:
      'Needs Authorization: Bearer <API key> (or, with scope_id, the admin token or an operator session). Every session issued to the account up to now stops working at once, ' +
      'for the authenticated methods and for verify; the account can sign in again.',
    params: accountRefSchema,
    result: z.object({ account_id: z.string(), scope_id: z.string(), sessions_revoked: z.literal(true) }),
    async handler(ref, ctx) {
      const account = await accountInScope(deps.accounts, ctx.scope.scope_id, ref);
      const audit = deps.audit.event(ctx, 'sessions_revoked', { scope_id: account.scope_id, account_id: account.account_id, ...actedBy(ctx.caller) });
      if (!(await deps.sessions.endAll(account.account_id, audit))) throw new GatewayError('account_not_found');
      return { account_id: account.account_id, scope_id: account.scope_id, sessions_revoked: true as const };
    },
  });
}
