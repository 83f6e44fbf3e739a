import type { NewAuditEvent } from '../domain/audit-event.js';
import type { Account, AccountConflict, AddCredentialResult, CreateAccountResult, Credential, CredentialShape, CredentialUse } from '../domain/account.js';
import type { DeleteCredentialResult, NewAccount, RegistrationExtras } from '../domain/account.js';
import type { OneTimeToken } from '../domain/one-time-token.js';
import { consumeTokenIn, deletePendingSignIns, oneTimeTokens } from './token-store.js';
import { insertRecoveryCodesIn, recoveryCodes } from './recovery-code-store.js';
import { auditLog, auditRows } from './audit-log-store.js';
import type { Dialect } from '../sql/dialect.js';
import { uniqueKeys } from './migrations.js';
import { redeemInviteClaim } from './operator-invite-store.js';
import { rowsOf, type SqlDatabase } from '../sql/sql-database.js';
import { statement } from '../sql/statement.js';
import { boolean, type Column, canonical, decode, encode, integer, nullable, oneOf, selectList, strings, table, text, textOrEmpty, timestamp, type Row } from '../sql/table.js';

/**
 * Accounts and their passkeys. Race safety lives in the database's unique constraints
 * ((scope_id, username) for accounts, (scope_id, credential_id) for credentials) and in locks
 * taken before counting. A change given `audit` events appends them in the same statement or
 * transaction, and only when the change happens: the log never misses a change nor records one
 * that did not happen.
 */
export interface AccountStore {
  findAccountByUsername(scopeId: string, username: string): Promise<Account | null>;
  /** The scope's account of this app user id; null when there is none. */
  findAccountByUserId(scopeId: string, userId: string): Promise<Account | null>;
  /**
   * Creates the account and its first credential (and `audit`, and `extras`: the registration
   * token it uses up, its first recovery codes, an invite it redeems) at once: all or nothing.
   */
  createAccountWithCredential(account: NewAccount, credential: Credential, audit?: NewAuditEvent, extras?: RegistrationExtras): Promise<CreateAccountResult>;
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
   */
  addCredential(credential: Credential, maxPerAccount: number, audit?: NewAuditEvent, extras?: Pick<RegistrationExtras, 'token'>): Promise<AddCredentialResult>;
  /**
   * Stores what a sign-in changes on its passkey (counter, device type, backup state, last use),
   * with `audit`, only while the stored counter is still `expectedCounter` and the account holds the
   * passkey and is enabled (a compare-and-set: the rules are the sign-in's, see
   * authentication/sign-in-rule.ts). Whether it stored them.
   */
  recordSignIn(
    scopeId: string,
    accountId: string,
    credentialId: string,
    use: CredentialUse,
    expectedCounter: number,
    audit?: readonly NewAuditEvent[],
    /** The sign-in's one-time result token (see tokens/sign-in-result.ts), stored only with the sign-in. */
    resultToken?: OneTimeToken,
  ): Promise<boolean>;
  /** The passkey's stored counter and whether its account is disabled; null when the account no longer holds it. */
  signInState(scopeId: string, accountId: string, credentialId: string): Promise<{ counter: number; disabled: boolean } | null>;
  /** Flags a credential whose counter went backwards; false when it no longer exists. */
  markCredentialPossiblyCloned(scopeId: string, credentialId: string, audit?: NewAuditEvent): Promise<boolean>;
  /** Sets the account's display name; false when there is no such account. */
  setDisplayName(accountId: string, displayName: string, audit?: NewAuditEvent): Promise<boolean>;
  /** Renames a credential of this account; false when the account has no such credential. */
  renameCredential(accountId: string, credentialId: string, name: string, audit?: NewAuditEvent): Promise<boolean>;
  /**
   * Deletes a credential of this account, refusing to delete its last one (two concurrent deletes
   * of an account's last two credentials leave one).
   */
  deleteCredential(accountId: string, credentialId: string, audit?: NewAuditEvent): Promise<DeleteCredentialResult>;
  /**
   * A page of the scope's accounts in username order: those after `after` (a username; '' for the
   * first page) whose username starts with `prefix` ('' for all), at most `limit`.
   */
  listAccounts(scopeId: string, page: { after: string; prefix: string; limit: number }): Promise<Account[]>;
  /**
   * Deletes the account of this scope with everything it owns (passkeys, the delegate key's record
   * of it, its session revocations), with `audit`: all or nothing. False when there is no such account.
   */
  deleteAccount(scopeId: string, accountId: string, audit?: NewAuditEvent): Promise<boolean>;
}

/** A flag new rows may leave out (NewAccount's default): stored as false. */
const falseUnlessSet: Column<boolean> = { ...boolean, encode: (value: boolean | undefined) => boolean.encode(value === true) };

export const accounts = table<Account>('accounts', {
  account_id: text,
  scope_id: text,
  username: text,
  display_name: text,
  user_handle: text,
  identifier_hash: text,
  // Null on accounts created before migration 2.
  public_key: textOrEmpty,
  address: textOrEmpty,
  disabled: boolean,
  created_at: timestamp,
  // Null for accounts named by username alone (and every account created before migration 10).
  user_id: nullable(text),
  second_factor_only: falseUnlessSet,
});

const credentials = table<Credential>('credentials', {
  credential_id: text,
  account_id: text,
  scope_id: text,
  public_key: text,
  algorithm: integer,
  counter: integer,
  transports: strings,
  aaguid: text,
  device_type: oneOf(['singleDevice', 'multiDevice']),
  backed_up: boolean,
  created_at: timestamp,
  last_used_at: nullable(timestamp),
  name: nullable(text),
  possibly_cloned: boolean,
  // Null on passkeys registered before migration 7, and when the client did not say.
  discoverable: nullable(boolean),
  authenticator_attachment: nullable(oneOf(['platform', 'cross-platform'])),
  attestation_verified: boolean,
  // False on passkeys registered before migration 13.
  second_factor_only: boolean,
});

const accountColumns = accounts.names.join(', ');
const credentialColumns = credentials.names.join(', ');
// Both tables have account_id, scope_id, public_key and created_at: in joins every column carries its table's prefix.
const joined = `${selectList(credentials, 'c')}, ${selectList(accounts, 'a')}`;

const sql = {
  findAccountByUsername: statement('find_account_by_username', `SELECT ${accountColumns} FROM accounts WHERE scope_id = :scope_id AND username = :username`),
  findAccountByUserId: statement('find_account_by_user_id', `SELECT ${accountColumns} FROM accounts WHERE user_id = :user_id AND scope_id = :scope_id`),
  getAccount: statement('get_account', `SELECT ${accountColumns} FROM accounts WHERE account_id = :account_id`),
  setAccountDisabled: statement('set_account_disabled', 'UPDATE accounts SET disabled = :disabled WHERE account_id = :account_id'),
  findCredential: statement('find_credential', `SELECT ${credentialColumns} FROM credentials WHERE scope_id = :scope_id AND credential_id = :credential_id`),
  listCredentials: statement('list_credentials', `SELECT ${credentialColumns} FROM credentials WHERE account_id = :account_id ORDER BY created_at, credential_id`),
  findCredentialWithAccount: statement(
    'find_credential_with_account',
    `SELECT ${joined} FROM credentials c JOIN accounts a ON a.account_id = c.account_id WHERE c.scope_id = :scope_id AND c.credential_id = :credential_id`,
  ),
  findAccountWithCredentials: statement(
    'find_account_with_credentials',
    `SELECT ${joined} FROM accounts a LEFT JOIN credentials c ON c.account_id = a.account_id
     WHERE a.scope_id = :scope_id AND a.username = :username ORDER BY c.created_at, c.credential_id`,
  ),
  // The newest accounts come off accounts_scope_created_idx, which on PostgreSQL only a scope_id
  // compared byte-wise can use (see migration 6); their passkeys off credentials_account_id_idx.
  credentialShapes: statement(
    'credential_shapes',
    (d: Dialect) => `SELECT c.account_id, length(rtrim(c.credential_id, '=')) AS id_chars, c.transports
     FROM (SELECT account_id, created_at FROM accounts WHERE scope_id ${d.bytewise} = :scope_id AND created_at < :created_before
           ORDER BY created_at DESC, account_id DESC LIMIT :limit) a
     JOIN credentials c ON c.account_id = a.account_id
     ORDER BY a.created_at DESC, a.account_id DESC, c.created_at, c.credential_id`,
  ),
  // Additions and deletions of one account's passkeys queue on its row (on SQLite, on the one write
  // lock), so the count they check cannot change before they commit.
  lockAccount: statement('lock_account', (d: Dialect) => `SELECT scope_id FROM accounts WHERE account_id = :account_id ${d.forUpdate}`),
  countCredentials: statement(
    'count_credentials',
    'SELECT count(*) AS n, count(CASE WHEN credential_id = :credential_id THEN 1 END) AS matching FROM credentials WHERE account_id = :account_id',
  ),
  deleteCredential: statement('delete_credential', 'DELETE FROM credentials WHERE account_id = :account_id AND credential_id = :credential_id'),
  // Compare-and-set in one statement: PostgreSQL re-checks the WHERE clause against the latest row
  // version when a concurrent sign-in updated it first, so of two only one matches.
  recordSignIn: statement(
    'record_sign_in',
    `UPDATE credentials AS c SET counter = :counter, backed_up = :backed_up, last_used_at = :last_used_at, device_type = :device_type
     FROM accounts a
     WHERE c.scope_id = :scope_id AND c.credential_id = :credential_id AND c.account_id = :account_id AND a.account_id = c.account_id
       AND NOT a.disabled AND c.counter = :expected_counter`,
  ),
  signInState: statement(
    'sign_in_state',
    `SELECT c.counter, a.disabled FROM credentials c JOIN accounts a ON a.account_id = c.account_id
     WHERE c.scope_id = :scope_id AND c.credential_id = :credential_id AND c.account_id = :account_id`,
  ),
  markPossiblyCloned: statement('mark_possibly_cloned', 'UPDATE credentials SET possibly_cloned = true WHERE scope_id = :scope_id AND credential_id = :credential_id'),
  setDisplayName: statement('set_display_name', 'UPDATE accounts SET display_name = :display_name WHERE account_id = :account_id'),
  // Keyset pagination in username order (unique in a scope): each page starts after the last username of the one before.
  listAccounts: statement(
    'list_accounts',
    `SELECT ${accountColumns} FROM accounts
     WHERE scope_id = :scope_id AND username > :after AND substr(username, 1, :prefix_chars::integer) = :prefix
     ORDER BY username LIMIT :limit`,
  ),
  lockScopedAccount: statement('lock_scoped_account', (d: Dialect) => `SELECT account_id FROM accounts WHERE account_id = :account_id AND scope_id = :scope_id ${d.forUpdate}`),
  deleteAccount: statement('delete_account', 'DELETE FROM accounts WHERE account_id = :account_id AND scope_id = :scope_id'),
  renameCredential: statement('rename_credential', 'UPDATE credentials SET name = :name WHERE account_id = :account_id AND credential_id = :credential_id'),
};

/**
 * What an account owns, deleted before the account itself (children first, whatever the foreign
 * keys say). A table another feature adds for accounts (recovery codes, say) joins this list.
 */
const ownedByAccount = [
  statement('delete_account_credentials', 'DELETE FROM credentials WHERE account_id = :account_id'),
  statement('delete_account_delegation', 'DELETE FROM delegated_accounts WHERE account_id = :account_id'),
  statement('delete_account_revocations', 'DELETE FROM revoked_sessions WHERE account_id = :account_id'),
  statement('delete_account_recovery_codes', 'DELETE FROM recovery_codes WHERE account_id = :account_id'),
  // Its one-time tokens too, those naming its app user id included: none may bring the account back.
  statement(
    'delete_account_tokens',
    `DELETE FROM one_time_tokens WHERE account_id = :account_id
       OR (user_id, scope_id) IN (SELECT user_id, scope_id FROM accounts WHERE account_id = :account_id AND user_id IS NOT NULL)`,
  ),
];

export function sqlAccountStore(db: SqlDatabase): AccountStore {
  const conflictOf = (error: unknown): AccountConflict | null => {
    if (db.dialect.violates(error, uniqueKeys.accountsUsername) || db.dialect.violates(error, uniqueKeys.accountsUserId)) return 'account_exists';
    if (db.dialect.violates(error, uniqueKeys.credentialsPrimaryKey)) return 'credential_exists';
    return null;
  };
  const oneAccount = (rows: Row[]) => (rows[0] === undefined ? null : decode(accounts, rows[0]));
  const withAccount = (row: Row) => ({ credential: decode(credentials, row, 'c_'), account: decode(accounts, row, 'a_') });

  return {
    async findAccountByUsername(scopeId, username) {
      return oneAccount(await db.all(sql.findAccountByUsername, { scope_id: scopeId, username }));
    },

    async findAccountByUserId(scopeId, userId) {
      return oneAccount(await db.all(sql.findAccountByUserId, { scope_id: scopeId, user_id: userId }));
    },

    async createAccountWithCredential(account, credential, audit, extras = {}) {
      const audited = audit === undefined ? [] : [rowsOf(auditLog, [audit])];
      try {
        // A token or an invite is used up first, in a transaction: refused, nothing is written.
        if (extras.token === undefined && extras.invite === undefined) {
          // One statement for the account, its passkey, its first recovery codes and the audit row.
          const codes = (extras.recoveryCodeHashes ?? []).map((code_hash) => ({ account_id: account.account_id, code_hash, created_at: account.created_at }));
          await db.insertAll([rowsOf(accounts, [account]), rowsOf(credentials, [credential]), ...(codes.length === 0 ? [] : [rowsOf(recoveryCodes, codes)]), ...audited]);
        } else {
          const { token, recoveryCodeHashes = [], invite } = extras;
          const outcome = await db.transaction(async (tx) => {
            if (token !== undefined && (await consumeTokenIn(tx, token.token_hash, 'registration', account.scope_id, token.now)) === null) return 'token_invalid' as const;
            // An invite used or expired meanwhile: nothing is written.
            const claim = invite === undefined ? undefined : redeemInviteClaim(invite.invite_hash, invite.now);
            if (claim !== undefined && (await tx.run(claim.statement, claim.params)) !== 1) return 'invite_invalid' as const;
            await tx.run(accounts.insert, encode(accounts, account));
            await tx.run(credentials.insert, encode(credentials, credential));
            await insertRecoveryCodesIn(tx, account.account_id, recoveryCodeHashes, account.created_at);
            if (audit !== undefined) await tx.run(auditLog.insert, encode(auditLog, audit));
            return 'ok' as const;
          });
          if (outcome !== 'ok') return { ok: false, conflict: outcome };
        }
      } catch (error) {
        const conflict = conflictOf(error);
        if (conflict === null) throw error;
        return { ok: false, conflict };
      }
      return { ok: true, account: canonical(accounts, account), credential: canonical(credentials, credential) };
    },

    async findCredential(scopeId, credentialId) {
      const [row] = await db.all(sql.findCredential, { scope_id: scopeId, credential_id: credentialId });
      return row === undefined ? null : decode(credentials, row);
    },

    async listCredentials(accountId) {
      return (await db.all(sql.listCredentials, { account_id: accountId })).map((row) => decode(credentials, row));
    },

    async findCredentialWithAccount(scopeId, credentialId) {
      const [row] = await db.all(sql.findCredentialWithAccount, { scope_id: scopeId, credential_id: credentialId });
      return row === undefined ? null : withAccount(row);
    },

    async findAccountWithCredentials(scopeId, username) {
      const rows = await db.all(sql.findAccountWithCredentials, { scope_id: scopeId, username });
      if (rows[0] === undefined) return null;
      // An account without credentials comes back as one row of null credential columns.
      const credentialRows = rows.filter((row) => row.c_credential_id !== null);
      return { account: decode(accounts, rows[0], 'a_'), credentials: credentialRows.map((row) => decode(credentials, row, 'c_')) };
    },

    async credentialShapes(scopeId, limit, createdBefore) {
      // SQLite would take a negative LIMIT as none.
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
      const rows = await db.all(sql.credentialShapes, { scope_id: scopeId, limit, created_before: timestamp.encode(createdBefore) });
      const shapes: CredentialShape[][] = [];
      let previous: unknown;
      for (const row of rows) {
        if (row.account_id !== previous) shapes.push([]);
        previous = row.account_id;
        // Ids are stored as base64url: n characters without padding hold floor(3n/4) bytes.
        shapes[shapes.length - 1]!.push({ id_length: Math.floor((integer.decode(row.id_chars) * 3) / 4), transports: strings.decode(row.transports) });
      }
      return shapes;
    },

    async getAccount(accountId) {
      return oneAccount(await db.all(sql.getAccount, { account_id: accountId }));
    },

    async setAccountDisabled(accountId, disabled, audit) {
      return db.transaction(async (tx) => {
        if ((await tx.run(sql.setAccountDisabled, { account_id: accountId, disabled })) === 0) return false;
        // Disabling ends the sign-ins under way as well.
        if (disabled) await tx.run(deletePendingSignIns, { account_id: accountId });
        const also = auditRows(audit);
        if (also !== undefined) for (const row of also.rows) await tx.run(also.statement, row);
        return true;
      });
    },

    async addCredential(credential, maxPerAccount, audit, extras = {}) {
      // A limit below 1 would make the call meaningless: a caller bug, not a conflict.
      if (!Number.isInteger(maxPerAccount) || maxPerAccount < 1) throw new RangeError(`maxPerAccount must be a positive integer, got ${maxPerAccount}`);
      const key = { account_id: credential.account_id, credential_id: credential.credential_id };
      try {
        return await db.transaction(async (tx): Promise<AddCredentialResult> => {
          const [owner] = await tx.all(sql.lockAccount, key);
          // A credential must live in its account's scope; any other scope has no such account.
          if (owner?.scope_id !== credential.scope_id) return { ok: false, conflict: 'account_not_found' };
          const [counts] = await tx.all(sql.countCredentials, key);
          if (integer.decode(counts?.n) >= maxPerAccount) return { ok: false, conflict: 'too_many_credentials' };
          const { token } = extras;
          // Used up last: a refusal above leaves the token usable (the transaction rolls back on a taken id too).
          if (token !== undefined && (await consumeTokenIn(tx, token.token_hash, 'registration', credential.scope_id, token.now)) === null) {
            return { ok: false, conflict: 'token_invalid' };
          }
          await tx.run(credentials.insert, encode(credentials, credential));
          if (audit !== undefined) await tx.run(auditLog.insert, encode(auditLog, audit));
          return { ok: true, credential: canonical(credentials, credential) };
        });
      } catch (error) {
        if (conflictOf(error) !== 'credential_exists') throw error;
        return { ok: false, conflict: 'credential_exists' };
      }
    },

    async recordSignIn(scopeId, accountId, credentialId, use, expectedCounter, audit, resultToken) {
      const values = {
        scope_id: scopeId,
        credential_id: credentialId,
        account_id: accountId,
        counter: use.counter,
        backed_up: use.backed_up,
        last_used_at: timestamp.encode(use.last_used_at),
        device_type: use.device_type,
        expected_counter: expectedCounter,
      };
      // One statement: the credential's update, its audit rows and the result token, all or none.
      const also = [auditRows(audit), resultToken === undefined ? undefined : rowsOf(oneTimeTokens, [resultToken])].filter((insert) => insert !== undefined);
      return (await db.run(sql.recordSignIn, values, also)) > 0;
    },

    async signInState(scopeId, accountId, credentialId) {
      const [row] = await db.all(sql.signInState, { scope_id: scopeId, credential_id: credentialId, account_id: accountId });
      return row === undefined ? null : { counter: integer.decode(row.counter), disabled: boolean.decode(row.disabled) };
    },

    async markCredentialPossiblyCloned(scopeId, credentialId, audit) {
      return (await db.run(sql.markPossiblyCloned, { scope_id: scopeId, credential_id: credentialId }, auditRows(audit))) > 0;
    },

    async setDisplayName(accountId, displayName, audit) {
      return (await db.run(sql.setDisplayName, { account_id: accountId, display_name: displayName }, auditRows(audit))) > 0;
    },

    async renameCredential(accountId, credentialId, name, audit) {
      return (await db.run(sql.renameCredential, { account_id: accountId, credential_id: credentialId, name }, auditRows(audit))) > 0;
    },

    async deleteCredential(accountId, credentialId, audit) {
      const key = { account_id: accountId, credential_id: credentialId };
      return db.transaction(async (tx): Promise<DeleteCredentialResult> => {
        if ((await tx.all(sql.lockAccount, key)).length === 0) return 'not_found';
        const [counts] = await tx.all(sql.countCredentials, key);
        if (integer.decode(counts?.matching) === 0) return 'not_found';
        if (integer.decode(counts?.n) <= 1) return 'last_credential';
        await tx.run(sql.deleteCredential, key);
        if (audit !== undefined) await tx.run(auditLog.insert, encode(auditLog, audit));
        return 'deleted';
      });
    },

    async listAccounts(scopeId, page) {
      if (!Number.isInteger(page.limit) || page.limit < 1) throw new RangeError(`limit must be a positive integer, got ${page.limit}`);
      // Characters, as substr counts them on both backends (not UTF-16 units).
      const values = { scope_id: scopeId, after: page.after, prefix: page.prefix, prefix_chars: [...page.prefix].length, limit: page.limit };
      return (await db.all(sql.listAccounts, values)).map((row) => decode(accounts, row));
    },

    async deleteAccount(scopeId, accountId, audit) {
      const key = { account_id: accountId, scope_id: scopeId };
      return db.transaction(async (tx) => {
        // Locked first, so a passkey being added at the same moment waits and then finds no account.
        if ((await tx.all(sql.lockScopedAccount, key)).length === 0) return false;
        for (const owned of ownedByAccount) await tx.run(owned, { account_id: accountId });
        await tx.run(sql.deleteAccount, key);
        if (audit !== undefined) await tx.run(auditLog.insert, encode(auditLog, audit));
        return true;
      });
    },
  };
}
