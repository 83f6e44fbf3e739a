import { z } from 'zod';
import { passkeyPurpose, passkeyPurposeSchema } from '../domain/passkey-purpose.js';
import { serverMethod } from '../rpc/rpc-method.js';
import type { AccountStore } from '../stores/account-store.js';
import { shownUsername } from '../tokens/registration-target.js';
import { accountInScope, accountRefSchema } from './account-ref.js';

/**
 * Named findAccount, not getAccount: getAccount is the session method answering the signed-in
 * account, and one name has one kind.
 */
export function findAccount(deps: { accounts: AccountStore }) {
  return serverMethod({
    name: 'findAccount',
    readOnly: true,
    summary: "One account of the scope, by account_id, username or the app's user_id (server key or admin)",
    description: 'Needs Authorization: Bearer <API key> (or, with scope_id, the admin token or an operator session). An account of another scope is account_not_found.',
    params: accountRefSchema,
    result: z.object({
      account_id: z.string(),
      scope_id: z.string(),
      username: z.string().describe("normalized; for an app's user without a username, its user_id"),
      user_id: z.string().nullable().describe("the app's own id of the user; null for accounts without one"),
      display_name: z.string(),
      identifier_hash: z.string(),
      user_handle: z.string().describe('base64url WebAuthn user handle (user.id)'),
      address: z.string(),
      disabled: z.boolean(),
      created_at: z.string(),
      credential_count: z.number().int(),
      purpose: passkeyPurposeSchema.describe('"second_factor": every passkey of the account signs in only as a second factor'),
    }),
    async handler(ref, ctx) {
      const account = await accountInScope(deps.accounts, ctx.scope.scope_id, ref);
      const { account_id, scope_id, user_id, display_name, identifier_hash, user_handle, address, disabled, created_at } = account;
      const credentials = await deps.accounts.listCredentials(account_id);
      return { account_id, scope_id, username: shownUsername(account), user_id, display_name, identifier_hash, user_handle, address, disabled, created_at, credential_count: credentials.length, purpose: passkeyPurpose(account) };
    },
  });
}
