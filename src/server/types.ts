import type { Passkey } from '../client/types.js';

/** What the gateway's server methods answer (README "Server API"), as the helper hands them on. */

export interface RegistrationToken {
  /** Single use; the browser passes it to the gateway (the client library's `register({ registrationToken })`). */
  registration_token: string;
  expires_at: string;
}

export interface SignInToken {
  /** Single use; the browser passes it to the gateway (the client library's `signIn({ signInToken })`). */
  sign_in_token: string;
  expires_at: string;
}

/** A finished passkey sign-in, as verifySignIn answers it once per sign_in_token. */
export interface SignIn {
  user_id: string | null;
  account_id: string;
  credential_id: string;
  user_verified: boolean;
  signed_in_at: string;
  /** The sign-in was a second factor (started with a createSignInToken token). */
  second_factor: boolean;
}

/** An account as findAccount answers it. */
export interface ServerAccount {
  account_id: string;
  scope_id: string;
  /** The app's own user id, where the gateway answers it; null otherwise. */
  user_id: string | null;
  /** The normalized username (for an app's user without one, the gateway's stand-in). */
  username: string;
  display_name: string;
  identifier_hash: string;
  /** The WebAuthn user handle (base64url). */
  user_handle: string;
  address: string;
  disabled: boolean;
  created_at: string;
  credential_count: number;
}

/** An account as listAccounts pages list it. */
export interface AccountSummary {
  account_id: string;
  username: string;
  display_name: string;
  identifier_hash: string;
  disabled: boolean;
  created_at: string;
}

/** A passkey as listAccountCredentials answers it (the fields the signed-in account's listCredentials has). */
export type ServerPasskey = Passkey;

export interface AccountPage {
  accounts: AccountSummary[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next_cursor: string | null;
}

/** An account named by the gateway's account id, by username or by the app's own user id. */
export type AccountRef = { account_id: string } | { username: string } | { user_id: string };
