import { z } from 'zod';
import type { Account } from '../domain/account.js';
import { GatewayError } from '../errors/gateway-error.js';
import { userIdSchema, usernameKey, usernameLookupSchema } from '../identity/user-input.js';
import type { AccountStore } from '../stores/account-store.js';

/** The scope param of every server method: optional with an API key (its own scope), required with the admin token. */
export const serverScopeId = z.uuid().optional().describe("the scope acted in: optional with an API key (it must be the key's own), required with the admin token");

interface AccountNames {
  account_id?: string | undefined;
  username?: string | undefined;
  user_id?: string | undefined;
}
const namesOne = (ref: AccountNames) => [ref.account_id, ref.username, ref.user_id].filter((name) => name !== undefined).length === 1;

/** An account named by id, by username or by the app's user id, within the call's scope; `extra` params beside them. */
export function accountRef<T extends z.ZodRawShape>(extra: T) {
  return z
    .object({
      scope_id: serverScopeId,
      account_id: z.uuid().optional(),
      username: usernameLookupSchema.optional(),
      user_id: userIdSchema.optional(),
      ...extra,
    })
    .refine((ref) => namesOne(ref as AccountNames), 'give exactly one of account_id, username and user_id');
}
export const accountRefSchema = accountRef({});

/** The account the ref names in `scopeId`; account_not_found for none, and for one of another scope alike. */
export async function accountInScope(accounts: Pick<AccountStore, 'getAccount' | 'findAccountByUsername' | 'findAccountByUserId'>, scopeId: string, ref: AccountNames): Promise<Account> {
  const account =
    ref.account_id !== undefined
      ? await accounts.getAccount(ref.account_id.toLowerCase())
      : ref.user_id !== undefined
        ? await accounts.findAccountByUserId(scopeId, ref.user_id)
        : await accounts.findAccountByUsername(scopeId, usernameKey(ref.username ?? ''));
  if (account === null || account.scope_id !== scopeId) throw new GatewayError('account_not_found');
  return account;
}
