import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { GatewayError } from '../errors/gateway-error.js';
import { usernameKey, usernameLookupSchema } from '../identity/user-input.js';
import { actedBy } from '../rpc/callers.js';
import { adminMethod } from '../rpc/rpc-method.js';
import type { Account } from '../domain/account.js';
import type { AccountStore } from '../stores/account-store.js';

export interface AccountAdminDeps {
  accounts: AccountStore;
  audit: AuditRecorder;
}

/** An account named by id or by username, always within one scope. */
const accountRefSchema = z
  .object({
    scope_id: z.uuid(),
    account_id: z.uuid().optional(),
    username: usernameLookupSchema.optional(),
  })
  .refine((ref) => (ref.account_id === undefined) !== (ref.username === undefined), 'give exactly one of account_id and username');

const accountStateSchema = z.object({ account_id: z.string(), scope_id: z.string(), disabled: z.boolean() });

async function findAccount(accounts: AccountStore, ref: z.output<typeof accountRefSchema>): Promise<Account> {
  const account =
    ref.account_id !== undefined
      ? await accounts.getAccount(ref.account_id)
      : await accounts.findAccountByUsername(ref.scope_id, usernameKey(ref.username ?? ''));
  if (account === null || account.scope_id !== ref.scope_id) throw new GatewayError('account_not_found');
  return account;
}

function setDisabled(deps: AccountAdminDeps, disabled: boolean) {
  return adminMethod({
    name: disabled ? 'disableAccount' : 'enableAccount',
    summary: disabled ? 'Disable an account (admin)' : 'Enable a disabled account (admin)',
    description: disabled
      ? 'Needs Authorization: Bearer <admin token>, or an operator session (the console). Sign-ins are refused with account_disabled and its sessions stop working at once.'
      : 'Needs Authorization: Bearer <admin token>, or an operator session (the console). The account can sign in again; sessions that have not expired work again.',
    params: accountRefSchema,
    result: accountStateSchema,
    async handler(ref, ctx) {
      const account = await findAccount(deps.accounts, ref);
      const audit = deps.audit.event(ctx, disabled ? 'account_disabled' : 'account_enabled', { scope_id: account.scope_id, account_id: account.account_id, reason: actedBy(ctx.caller).reason });
      if (!(await deps.accounts.setAccountDisabled(account.account_id, disabled, audit))) throw new GatewayError('account_not_found');
      return { account_id: account.account_id, scope_id: account.scope_id, disabled };
    },
  });
}

export const disableAccount = (deps: AccountAdminDeps) => setDisabled(deps, true);
export const enableAccount = (deps: AccountAdminDeps) => setDisabled(deps, false);
