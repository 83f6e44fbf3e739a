import { z } from 'zod';
import type { Account } from '../domain/account.js';
import type { Scope } from '../domain/scope.js';
import type { TokenStore } from '../stores/token-store.js';
import { newTokenSecret, tokenHash } from './token-secret.js';

/** How long an app's backend has to exchange a sign-in's token (verifySignIn). */
export const SIGN_IN_RESULT_SECONDS = 120;

/** What verifySignIn answers, stored with the token. */
export const signInResultSchema = z.object({
  credential_id: z.string().describe('the passkey that signed in'),
  user_verified: z.boolean().describe('whether the authenticator verified the user (UV)'),
  signed_in_at: z.string().describe('ISO-8601 time of the sign-in'),
  second_factor: z.boolean().describe('whether it was a second-factor sign-in (createSignInToken)'),
});
export type SignInResult = z.infer<typeof signInResultSchema>;

/** Stores a finished sign-in under a new one-time token and returns the token, for the app's backend to exchange once. */
export async function issueSignInResult(
  deps: { tokens: TokenStore; identifierSecret: Buffer; now: () => number },
  scope: Scope,
  account: Account,
  result: SignInResult,
): Promise<string> {
  const token = newTokenSecret('sign_in_result');
  const now = deps.now();
  await deps.tokens.createToken({
    token_hash: tokenHash(deps.identifierSecret, token),
    scope_id: scope.scope_id,
    kind: 'sign_in_result',
    account_id: account.account_id,
    user_id: account.user_id,
    payload: JSON.stringify(result),
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + SIGN_IN_RESULT_SECONDS * 1000).toISOString(),
  });
  return token;
}
