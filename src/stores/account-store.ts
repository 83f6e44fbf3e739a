import type { Scope } from '../scopes/scope.js';

export interface Account {
  account_id: string;
  scope_id: string;
  /** Normalized (NFKC, trimmed, lower-cased) username: the uniqueness key within a scope. */
  username: string;
  display_name: string;
  /** base64url of the random WebAuthn user handle bytes. */
  user_handle: string;
  identifier_hash: string;
  created_at: string;
}

export interface Credential {
  credential_id: string;
  account_id: string;
  scope_id: string;
  /** base64url of the COSE public key. */
  public_key: string;
  algorithm: number;
  counter: number;
  transports: string[];
  aaguid: string;
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
  created_at: string;
}

export type NewScope = Omit<Scope, 'created_at' | 'updated_at'>;
export type ScopeUpdate = Partial<Omit<Scope, 'scope_id' | 'created_at' | 'updated_at'>>;

/** Why an insert was refused; the stores map unique-constraint violations to these. */
export type AccountConflict = 'account_exists' | 'credential_exists';

export type CreateAccountResult =
  | { ok: true; account: Account; credential: Credential }
  | { ok: false; conflict: AccountConflict };

/**
 * Scopes, accounts and credentials. Race safety lives in the database's unique constraints:
 * (scope_id, username) for accounts, (scope_id, credential_id) for credentials.
 */
export interface AccountStore {
  createScope(scope: NewScope): Promise<Scope>;
  updateScope(scopeId: string, update: ScopeUpdate): Promise<Scope | null>;
  getScope(scopeId: string): Promise<Scope | null>;
  listScopes(): Promise<Scope[]>;
  /** An opaque marker that changes on every scope create or update (null when there are none), so servers can poll cheaply. */
  scopesVersion(): Promise<string | null>;

  findAccountByUsername(scopeId: string, username: string): Promise<Account | null>;
  /** Creates the account and its first credential in one transaction: both or neither. */
  createAccountWithCredential(account: Account, credential: Credential): Promise<CreateAccountResult>;
  findCredential(scopeId: string, credentialId: string): Promise<Credential | null>;
  listCredentials(accountId: string): Promise<Credential[]>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
