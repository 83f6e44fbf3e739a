import { z } from 'zod';
import type { Account } from '../domain/account.js';
import { GatewayError } from '../errors/gateway-error.js';
import { usernameKey, usernameLookupSchema } from '../identity/user-input.js';
import type { AccountStore } from '../stores/account-store.js';

/** The scope param of every server method: optional with an API key (its own scope), required with the admin token. */
export const serverScopeId = z.uuid().optional().describe("the scope acted in: optional with an API key (it must be the key's own), required with the admin token");

interface AccountNames {
  account_id?: string | undefined;
  username?: string | undefined;
}
const namesOne = (ref: AccountNames) => (ref.account_id === undefined) !== (ref.username === undefined);

/** An account named by id or by username, within the call's scope; `extra` params beside them. */
export function accountRef<T extends z.ZodRawShape>(extra: T) {
  return z
    .object({
      scope_id: serverScopeId,
      account_id: z.uuid().optional(),
      username: usernameLookupSchema.optional(),
      ...extra,
    })
    .refine((ref) => namesOne(ref as AccountNames), 'give exactly one of account_id and username');
}
export const accountRefSchema = accountRef({});

/** The account the ref names in `scopeId`; account_not_found for none, and for one of another scope alike. */
export async function accountInScope(accounts: Pick<AccountStore, 'getAccount' | 'findAccountByUsername'>, scopeId: string, ref: AccountNames): Promise<Account> {
  const account =
    ref.account_id !== undefined
      ? await accounts.getAccount(ref.account_id.toLowerCase())
      : await accounts.findAccountByUsername(scopeId, usernameKey(ref.username ?? ''));
  if (account === null || account.scope_id !== scopeId) throw new GatewayError('account_not_found');
  return account;
}
