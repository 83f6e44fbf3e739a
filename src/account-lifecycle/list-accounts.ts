import { z } from 'zod';
import { limits } from '../domain/limits.js';
import { GatewayError } from '../errors/gateway-error.js';
import { isUsernameKey, userIdSchema, usernameKey, usernameLookupSchema } from '../identity/user-input.js';
import { serverMethod } from '../rpc/rpc-method.js';
import type { AccountStore } from '../stores/account-store.js';
import { serverScopeId } from './account-ref.js';
import { appUserIdOf, shownUsername } from '../tokens/registration-target.js';

const PAGE_DEFAULT = 50;
const PAGE_MAX = 200;
// base64url of the longest normalized username (256 characters of up to 4 UTF-8 bytes).
const CURSOR_MAX_CHARS = Math.ceil((limits.usernameChars * 4 * 4) / 3);

export const accountSummarySchema = z.object({
  account_id: z.string(),
  username: z.string().describe("normalized (NFKC, trimmed, lower-cased); for an app's user without a username, its user_id"),
  user_id: z.string().nullable().describe("the app's own user id; null for accounts without one"),
  display_name: z.string(),
  identifier_hash: z.string(),
  disabled: z.boolean(),
  created_at: z.string(),
});

/**
 * The cursor is the stored sort key of a page's last account (its username, or the internal one of
 * an app's user without a username), base64url: opaque to the caller.
 */
function decodeCursor(cursor: string | undefined): string {
  if (cursor === undefined) return '';
  const username = Buffer.from(cursor, 'base64url').toString('utf8');
  // Only a stored username's form is taken back: normalized, or an app user's; valid UTF-8, no NUL (PostgreSQL cannot bind it).
  if (!isStoredUsername(username) || Buffer.from(username, 'utf8').toString('base64url') !== cursor) throw new GatewayError('invalid_params', 'cursor is not one this method gave');
  return username;
}

function isStoredUsername(username: string): boolean {
  if (isUsernameKey(username)) return true;
  const userId = appUserIdOf(username);
  return userId !== null && userIdSchema.safeParse(userId).success;
}

export function listAccounts(deps: { accounts: AccountStore }) {
  return serverMethod({
    name: 'listAccounts',
    readOnly: true,
    summary: "A page of the scope's accounts in username order (server key or admin)",
    description:
      'Needs Authorization: Bearer <API key> (or, with scope_id, the admin token or an operator session). Pass next_cursor of a page as cursor for the next; ' +
      `it is null on the last page. limit: 1 to ${PAGE_MAX} (default ${PAGE_DEFAULT}); username_prefix matches the start of the normalized username.`,
    params: z.object({
      scope_id: serverScopeId,
      cursor: z.string().min(1).max(CURSOR_MAX_CHARS).regex(/^[A-Za-z0-9_-]+$/, 'must be a next_cursor').optional(),
      limit: z.number().int().min(1).max(PAGE_MAX).default(PAGE_DEFAULT),
      username_prefix: usernameLookupSchema.optional(),
    }),
    result: z.object({ accounts: z.array(accountSummarySchema), next_cursor: z.string().nullable() }),
    async handler({ cursor, limit, username_prefix }, ctx) {
      const prefix = username_prefix === undefined ? '' : usernameKey(username_prefix);
      // One more than asked says whether another page follows, so the last page says so itself.
      const found = await deps.accounts.listAccounts(ctx.scope.scope_id, { after: decodeCursor(cursor), prefix, limit: limit + 1 });
      const page = found.slice(0, limit);
      const last = page[page.length - 1];
      return {
        accounts: page.map((account) => ({
          account_id: account.account_id,
          username: shownUsername(account),
          user_id: account.user_id,
          display_name: account.display_name,
          identifier_hash: account.identifier_hash,
          disabled: account.disabled,
          created_at: account.created_at,
        })),
        next_cursor: found.length > limit && last !== undefined ? Buffer.from(last.username, 'utf8').toString('base64url') : null,
      };
    },
  });
}
