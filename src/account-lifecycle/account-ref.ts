import { z } from 'zod';
import type { Account } from '../domain/account.js';
import { limits } from '../domain/limits.js';
import { GatewayError } from '../errors/gateway-error.js';
import { usernameKey } from '../identity/user-input.js';
import type { AccountStore } from '../stores/account-store.js';

/** The scope param of every server method: optional with an API key (its own scope), required with the admin token. */
export const serverScopeId = z.uuid().optional().describe("the scope acted in: optional with an API key (it must be the key's own), required with the admin token");

/** An account named by id or by username, within the call's scope. */
export const accountRefShape = {
  scope_id: serverScopeId,
  account_id: z.uuid().optional(),
  username: z.string().min(1).max(limits.usernameChars * 4).optional(),
};
export const accountRefSchema = z
  .object(accountRefShape)
  .refine((ref) => (ref.account_id === undefined) !== (ref.username === undefined), 'give exactly one of account_id and username');

/** The account the ref names in `scopeId`; account_not_found for none, and for one of another scope alike. */
export async function accountInScope(accounts: Pick<AccountStore, 'getAccount' | 'findAccountByUsername'>, scopeId: string, ref: { account_id?: string | undefined; username?: string | undefined }): Promise<Account> {
  const account =
    ref.account_id !== undefined
      ? await accounts.getAccount(ref.account_id.toLowerCase())
      : await accounts.findAccountByUsername(scopeId, usernameKey(ref.username ?? ''));
  if (account === null || account.scope_id !== scopeId) throw new GatewayError('account_not_found');
  return account;
}
