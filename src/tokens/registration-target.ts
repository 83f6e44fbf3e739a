import { z } from 'zod';
import type { Account } from '../domain/account.js';
import type { OneTimeToken } from '../domain/one-time-token.js';
import type { Scope } from '../domain/scope.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { AccountStore } from '../stores/account-store.js';
import type { TokenStore } from '../stores/token-store.js';
import { tokenHash } from './token-secret.js';

/** What a registration token stores beside its account or user id. */
export const registrationPayloadSchema = z.object({
  /** The normalized username a new account takes; null: the app's users need none (see appUsername). */
  username: z.string().nullable(),
  display_name: z.string().nullable(),
  purpose: z.enum(['passkey', 'second_factor', 'recovery']),
});
export type RegistrationPayload = z.infer<typeof registrationPayloadSchema>;

/**
 * The username of an account an app's user id names without a username of its own. It starts with a
 * control character, which no username a person gives may hold, so no one can take it first.
 */
export function appUsername(userId: string): string {
  return `\u001fuser:${userId}`;
}

/** The username an account shows: its own, or for an app's user without one, the app's user id. */
export function shownUsername(account: Pick<Account, 'username' | 'user_id'>): string {
  return hasOwnUsername(account) ? account.username : (account.user_id ?? account.username);
}

/** Whether the account has a username a person gave (and may recover with). */
export function hasOwnUsername(account: Pick<Account, 'username'>): boolean {
  return !account.username.startsWith('\u001f');
}

/** Whose passkey a token's registration creates: an existing account's, or the first of a new one. */
export type TokenTarget =
  | { kind: 'existing'; account: Account; token: OneTimeToken; tokenHash: string; payload: RegistrationPayload }
  | { kind: 'new'; userId: string; username: string; displayName: string; token: OneTimeToken; tokenHash: string; payload: RegistrationPayload };

/**
 * The unused, unexpired registration token of this scope and the account it registers to. It is
 * not used up here: completion uses it up in the transaction that adds the passkey. Anything else
 * (unknown, used, expired, another scope's, an account gone or moved) is `token_invalid`.
 */
export async function tokenTarget(
  deps: { tokens: TokenStore; accounts: AccountStore; identifierSecret: Buffer; now: () => number },
  scope: Scope,
  token: string,
): Promise<TokenTarget> {
  const hash = tokenHash(deps.identifierSecret, token);
  const found = await deps.tokens.findToken(hash, 'registration', scope.scope_id, new Date(deps.now()).toISOString());
  if (found === null) throw new GatewayError('token_invalid');
  const payload = registrationPayloadSchema.parse(JSON.parse(found.payload));
  const account =
    found.account_id !== null
      ? await deps.accounts.getAccount(found.account_id)
      : found.user_id !== null
        ? await deps.accounts.findAccountByUserId(scope.scope_id, found.user_id)
        : null;
  if (account !== null) {
    if (account.scope_id !== scope.scope_id) throw new GatewayError('token_invalid', 'account of another scope');
    return { kind: 'existing', account, token: found, tokenHash: hash, payload };
  }
  if (found.account_id !== null || found.user_id === null) throw new GatewayError('token_invalid', 'the account was deleted');
  const username = payload.username ?? appUsername(found.user_id);
  return { kind: 'new', userId: found.user_id, username, displayName: payload.display_name ?? payload.username ?? found.user_id, token: found, tokenHash: hash, payload };
}
