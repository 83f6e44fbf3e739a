import type { AuditEvent, AuditQuery, NewAuditEvent } from '../domain/audit-event.js';
import type { NewScope, Scope, ScopeUpdate } from '../domain/scope.js';
import type {
  Account,
  AddCredentialResult,
  CreateAccountResult,
  Credential,
  CredentialShape,
  CredentialUse,
  DeleteCredentialResult,
  SignInRecord,
} from '../domain/account.js';

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

/**
 * Scopes, accounts and credentials. Race safety lives in the database's unique constraints:
 * (scope_id, username) for accounts, (scope_id, credential_id) for credentials. A change that
 * takes an `audit` event appends it in the same statement or transaction, and only when the change
 * happens: the log never misses a change nor records one that did not happen.
 */
export interface AccountStore {
  createScope(scope: NewScope): Promise<Scope>;
  updateScope(scopeId: string, update: ScopeUpdate): Promise<Scope | null>;
  getScope(scopeId: string): Promise<Scope | null>;
  listScopes(): Promise<Scope[]>;
  /** An opaque marker that changes on every scope create or update (null when there are none), so servers can poll cheaply. */
  scopesVersion(): Promise<string | null>;

  findAccountByUsername(scopeId: string, username: string): Promise<Account | null>;
  /**
   * Creates the account and its first credential in one transaction: both or neither. `audit`,
   * when given, is appended in that same transaction, so the log never misses a change nor
   * records one that did not happen.
   */
  createAccountWithCredential(account: Account, credential: Credential, audit?: NewAuditEvent): Promise<CreateAccountResult>;
  findCredential(scopeId: string, credentialId: string): Promise<Credential | null>;
  listCredentials(accountId: string): Promise<Credential[]>;
  /** findCredential and the account owning it, in one round trip (the sign-in completion path). */
  findCredentialWithAccount(scopeId: string, credentialId: string): Promise<{ credential: Credential; account: Account } | null>;
  /**
   * findAccountByUsername and listCredentials (same order) in one round trip (the sign-in
   * initiation path); null when there is no such account.
   */
  findAccountWithCredentials(scopeId: string, username: string): Promise<{ account: Account; credentials: Credential[] } | null>;
  /**
   * The shapes of the passkeys of the scope's `limit` most recently created accounts created before
   * `createdBefore` (newest first, ties by account id), one list per account in allowCredentials
   * order (created_at, credential_id); accounts without a passkey are left out. Unknown-user
   * answers are drawn from it.
   */
  credentialShapes(scopeId: string, limit: number, createdBefore: string): Promise<CredentialShape[][]>;

  getAccount(accountId: string): Promise<Account | null>;
  /** Enables or disables an account; false when there is no such account. */
  setAccountDisabled(accountId: string, disabled: boolean, audit?: NewAuditEvent): Promise<boolean>;
  /**
   * Adds a passkey to an existing account (credential.account_id). Refused when the credential id
   * is taken in the scope, the account is gone, or it already holds `maxPerAccount` credentials.
   * `audit` is appended in the same transaction, only when the credential is added.
   */
  addCredential(credential: Credential, maxPerAccount: number, audit?: NewAuditEvent): Promise<AddCredentialResult>;
  /**
   * Records a sign-in whose signature has verified, deciding in the same statement (or
   * transaction) as the write, so no concurrent sign-in or admin change slips in between:
   * - 'not_found': the account no longer holds that credential in this scope;
   * - 'account_disabled': the account is disabled;
   * - 'counter_regression': either the stored or the new counter is non-zero and the new one does
   *   not exceed the stored one (WebAuthn's signCount rule: two copies of the key may exist;
   *   nothing is changed);
   * - 'recorded': the counter (never lowered), device type, backup state and last use are stored,
   *   and the `audit` events appended with them.
   */
  recordSignIn(scopeId: string, accountId: string, credentialId: string, use: CredentialUse, audit?: readonly NewAuditEvent[]): Promise<SignInRecord>;
  /** Flags a credential whose counter went backwards; false when it no longer exists. */
  markCredentialPossiblyCloned(scopeId: string, credentialId: string, audit?: NewAuditEvent): Promise<boolean>;
  /** Renames a credential of this account; false when the account has no such credential. */
  renameCredential(accountId: string, credentialId: string, name: string, audit?: NewAuditEvent): Promise<boolean>;
  /**
   * Deletes a credential of this account, atomically refusing to delete its last one (two
   * concurrent deletes of an account's last two credentials leave one).
   */
  deleteCredential(accountId: string, credentialId: string, audit?: NewAuditEvent): Promise<DeleteCredentialResult>;

  /**
   * The account of a session with what decides whether the session still holds: the passkey that
   * started it (`credentialId`), its jti's revocation, the account's sessions-valid-after time.
   * Null when the account is gone.
   */
  sessionState(accountId: string, credentialId: string, jti: string): Promise<SessionState | null>;
  /**
   * Revokes one session until `expires_at`; `audit` is appended in the same transaction when the
   * jti was not revoked already. Revocations that expired before `now` are swept in passing.
   */
  revokeSession(revocation: SessionRevocation, now: string, audit?: NewAuditEvent): Promise<void>;
  /** Ends every session of the account issued before `validAfter` (never moved back); false when there is no such account. */
  endSessions(accountId: string, validAfter: string, audit?: NewAuditEvent): Promise<boolean>;

  /** Appends to the scope's audit log; there is deliberately no way to change or remove an entry. */
  appendAuditEvent(event: NewAuditEvent): Promise<void>;
  /** A scope's audit events in the order they were written (at most `query.limit`). */
  listAuditEvents(scopeId: string, query: AuditQuery): Promise<AuditEvent[]>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
