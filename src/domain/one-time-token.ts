/**
 * One-time tokens, stored only as keyed hashes: what each kind lets its holder do once.
 * - `registration`: register a passkey to one account (an app's user id, or an existing account for recovery);
 * - `sign_in`: a second-factor sign-in offering only one account's passkeys;
 * - `sign_in_result`: an app backend's proof of a finished sign-in (verifySignIn).
 */
export type OneTimeTokenKind = 'registration' | 'sign_in' | 'sign_in_result';

export interface OneTimeToken {
  token_hash: string;
  scope_id: string;
  kind: OneTimeTokenKind;
  /** The account it is bound to, when that exists already. */
  account_id: string | null;
  /** The app's user id it is bound to, when it has one. */
  user_id: string | null;
  /** JSON text of the kind's own fields (see the token modules). */
  payload: string;
  created_at: string;
  expires_at: string;
}
