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

export interface ServerAccount {
  account_id: string;
  scope_id: string;
  user_id: string | null;
  username: string | null;
  display_name: string | null;
  identifier_hash: string;
  disabled: boolean;
  created_at: string;
}

export interface ServerPasskey {
  credential_id: string;
  name: string | null;
  provider: string | null;
  created_at: string;
  last_used_at: string | null;
}

export interface AccountPage {
  accounts: ServerAccount[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next_cursor: string | null;
}

/** An account named by the gateway's id, by the app's user id, or by username. */
export type AccountRef = { account_id: string } | { user_id: string } | { username: string };
