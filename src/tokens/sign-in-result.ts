import { z } from 'zod';
import { passkeyPurposeSchema } from '../domain/passkey-purpose.js';
import type { Account } from '../domain/account.js';
import type { Scope } from '../domain/scope.js';
import type { OneTimeToken } from '../domain/one-time-token.js';
import { newTokenSecret, tokenHash } from './token-secret.js';
import type { RandomSource } from '../keys/random-pool.js';

/** How long an app's backend has to exchange a sign-in's token (verifySignIn). */
export const SIGN_IN_RESULT_SECONDS = 120;

/** What verifySignIn answers, stored with the token. */
export const signInResultSchema = z.object({
  credential_id: z.string().describe('the passkey that signed in'),
  user_verified: z.boolean().describe('whether the authenticator verified the user (UV)'),
  signed_in_at: z.string().describe('ISO-8601 time of the sign-in'),
  second_factor: z.boolean().describe('whether it was a second-factor sign-in (createSignInToken)'),
  purpose: passkeyPurposeSchema.default('passkey').describe('what the passkey that signed in was enrolled for'),
});
export type SignInResult = z.infer<typeof signInResultSchema>;

/**
 * A finished sign-in's one-time token, for the app's backend to exchange once, and the row that
 * stores it: the caller writes the row with the sign-in itself (AccountStore.recordSignIn), so a
 * sign-in that is not recorded leaves no token, and one that is costs no second write.
 */
export function newSignInResult(
  deps: { identifierSecret: Buffer; random: RandomSource },
  scope: Scope,
  account: Account,
  result: SignInResult,
): { token: string; row: OneTimeToken } {
  const token = newTokenSecret('sign_in_result', deps.random);
  // Made at the sign-in's own time, which its row and the credential's last use also carry.
  const now = Date.parse(result.signed_in_at);
  return {
    token,
    row: {
      token_hash: tokenHash(deps.identifierSecret, token),
      scope_id: scope.scope_id,
      kind: 'sign_in_result',
      account_id: account.account_id,
      user_id: account.user_id,
      payload: JSON.stringify(result),
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + SIGN_IN_RESULT_SECONDS * 1000).toISOString(),
    },
  };
}
