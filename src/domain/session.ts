import type { Account } from './account.js';

/** A session's jti revoked until the session would have expired anyway. */
export interface SessionRevocation {
  jti: string;
  account_id: string;
  expires_at: string;
}

/** What the session check reads about a session's account, in one round trip. */
export interface SessionState {
  account: Account;
  /** When the passkey that started the session was created; null when the account no longer holds it. */
  credential_created_at: string | null;
  /** Whether the session's jti was revoked. */
  revoked: boolean;
  /** Sessions of the account issued before this time are over (null: none were ended). */
  sessions_valid_after: string | null;
}
