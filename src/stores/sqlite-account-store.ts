import Database from 'better-sqlite3';
import type { AuditEvent, AuditQuery, NewAuditEvent } from '../domain/audit-event.js';
import type { NewScope, Scope, ScopeUpdate } from '../domain/scope.js';
import type { Account, AccountConflict, AddCredentialResult, CreateAccountResult, Credential, CredentialShape, CredentialUse, DeleteCredentialResult, SignInRecord } from '../domain/account.js';
import type { AccountStore, SessionRevocation, SessionState } from './account-store.js';
import { migrationsFor, schemaMigrationsTable } from './migrations.js';
import { makeDatabaseFilesPrivate } from './private-database-file.js';
import {
  assertValidCredentialLimit,
  assertValidSampleLimit,
  auditInsertColumns,
  auditInsertValues,
  canonicalTimestamp,
  canonicalTimestampOrNull,
  columnLists,
  counterRegressed,
  joinColumnLists,
  nextScopeRevision,
  scopeColumnValues,
  scopeInsertValues,
  signInRefusal,
  toAccount,
  toAccountWithCredentials,
  toAuditEvent,
  toCredential,
  toCredentialShapes,
  toCredentialWithAccount,
  toScope,
  toSessionState,
  updatableScopeColumns,
  type AccountCredentialRow,
  type AccountRow,
  type AuditRow,
  type CredentialAccountRow,
  type CredentialRow,
  type CredentialShapeRow,
  type ScopeRow,
  type SessionStateRow,
} from './sql-rows.js';

export interface SqliteAccountStoreOptions {
  /** How long a write waits for another process's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

const { accounts: accountColumns, credentials: credentialColumns, scopes: scopeColumns } = columnLists;

/**
 * AccountStore on one SQLite file, for single-host deployments. better-sqlite3 is synchronous, so
 * calls on one store are serialized; across processes WAL plus `BEGIN IMMEDIATE` and the busy
 * timeout serialize writers, and the unique constraints decide every race.
 */
export class SqliteAccountStore implements AccountStore {
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly updateStatements = new Map<string, Database.Statement>();
  private readonly insertAccountAndCredential: (account: Account, credential: Credential, audit: NewAuditEvent | undefined) => CreateAccountResult;
  private readonly insertCredentialChecked: (credential: Credential, maxPerAccount: number, audit: NewAuditEvent | undefined) => AddCredentialResult;
  private readonly recordSignInChecked: (scopeId: string, accountId: string, credentialId: string, use: CredentialUse, audit: readonly NewAuditEvent[]) => SignInRecord;
  private readonly revokeSessionAndSweep: (revocation: SessionRevocation, now: string, audit: NewAuditEvent | undefined) => void;
  private readonly deleteCredentialChecked: (accountId: string, credentialId: string, audit: NewAuditEvent | undefined) => DeleteCredentialResult;
  /** Runs a change and, when it changed a row, appends `audit`, in one transaction; the rows changed. */
  private readonly changeAudited: (change: () => number, audit: NewAuditEvent) => number;

  /** @param filename a database file path, or ':memory:' */
  constructor(filename: string, options: SqliteAccountStoreOptions = {}) {
    const busyTimeoutMs = Math.trunc(options.busyTimeoutMs ?? 5000);
    if (filename !== ':memory:' && filename !== '') makeDatabaseFilesPrivate(filename);
    this.db = new Database(filename, { timeout: busyTimeoutMs });
    try {
      // WAL lets readers proceed while one writer commits; foreign keys are off per connection by default.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      migrate(this.db);
      this.statements = prepareStatements(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }
    const { insertAccount, insertCredential, insertAuditEvent } = this.statements;
    // Audit rows go in with the change they describe, in the same transaction.
    const appendAudit = (audit: NewAuditEvent | undefined) => {
      if (audit !== undefined) insertAuditEvent.run(...auditInsertValues(audit));
    };
    this.insertAccountAndCredential = this.db
      .transaction((account: Account, credential: Credential, audit: NewAuditEvent | undefined): CreateAccountResult => {
        const accountRow = insertAccount.get(accountParams(account)) as AccountRow;
        const credentialRow = insertCredential.get(credentialParams(credential)) as CredentialRow;
        appendAudit(audit);
        return { ok: true, account: toAccount(accountRow), credential: toCredential(credentialRow) };
      })
      // IMMEDIATE takes the write lock up front instead of upgrading later, avoiding a deadlock-ish
      // SQLITE_BUSY between two processes that both started reading.
      .immediate;
    // The count-then-write pairs below hold the write lock throughout, so no other connection (or
    // process) can add or delete a credential of the same account in between.
    const { getAccountScope, countCredentials, credentialExists, deleteCredential } = this.statements;
    this.insertCredentialChecked = this.db
      .transaction((credential: Credential, maxPerAccount: number, audit: NewAuditEvent | undefined): AddCredentialResult => {
        const account = getAccountScope.get(credential.account_id) as { scope_id: string } | undefined;
        // A credential must live in its account's scope; any other scope has no such account.
        if (account === undefined || account.scope_id !== credential.scope_id) {
          return { ok: false, conflict: 'account_not_found' };
        }
        const { n } = countCredentials.get(credential.account_id) as { n: number };
        if (n >= maxPerAccount) return { ok: false, conflict: 'too_many_credentials' };
        const row = insertCredential.get(credentialParams(credential)) as CredentialRow;
        appendAudit(audit);
        return { ok: true, credential: toCredential(row) };
      })
      .immediate;
    const { signInState, recordSignIn } = this.statements;
    // The write lock is held from the read to the write, so the checks cannot go stale in between.
    this.recordSignInChecked = this.db
      .transaction((scopeId: string, accountId: string, credentialId: string, use: CredentialUse, audit: readonly NewAuditEvent[]): SignInRecord => {
        const current = signInState.get(scopeId, credentialId, accountId) as { counter: number; disabled: number } | undefined;
        const state = current === undefined ? undefined : { counter: Number(current.counter), disabled: current.disabled !== 0 };
        if (state === undefined || state.disabled || counterRegressed(state.counter, use.counter)) return signInRefusal(state, use.counter);
        recordSignIn.run(use.counter, use.backed_up ? 1 : 0, canonicalTimestamp(use.last_used_at), use.device_type, scopeId, credentialId);
        for (const event of audit) appendAudit(event);
        return 'recorded';
      })
      .immediate;
    const { revokeSession, sweepRevokedSessions } = this.statements;
    this.revokeSessionAndSweep = this.db
      .transaction((revocation: SessionRevocation, now: string, audit: NewAuditEvent | undefined): void => {
        const { changes } = revokeSession.run(revocation.jti, revocation.account_id, canonicalTimestamp(revocation.expires_at));
        if (changes > 0) appendAudit(audit);
        sweepRevokedSessions.run(canonicalTimestamp(now));
      })
      .immediate;
    this.changeAudited = this.db.transaction((change: () => number, audit: NewAuditEvent): number => {
      const changes = change();
      if (changes > 0) appendAudit(audit);
      return changes;
    });
    this.deleteCredentialChecked = this.db
      .transaction((accountId: string, credentialId: string, audit: NewAuditEvent | undefined): DeleteCredentialResult => {
        if (credentialExists.get(accountId, credentialId) === undefined) return 'not_found';
        const { n } = countCredentials.get(accountId) as { n: number };
        if (n <= 1) return 'last_credential';
        deleteCredential.run(accountId, credentialId);
        appendAudit(audit);
        return 'deleted';
      })
      .immediate;
  }

  async createScope(scope: NewScope): Promise<Scope> {
    const now = new Date().toISOString();
    const row = this.statements.insertScope.get(scope.scope_id, ...scopeInsertValues(scope), now, now) as ScopeRow;
    return toScope(row);
  }

  async updateScope(scopeId: string, update: ScopeUpdate): Promise<Scope | null> {
    const assignments = scopeColumnValues(update);
    const statement = this.updateStatement(assignments.map(([column]) => column));
    const row = statement.get(...assignments.map(([, value]) => value), new Date().toISOString(), scopeId) as
      | ScopeRow
      | undefined;
    return row === undefined ? null : toScope(row);
  }

  async getScope(scopeId: string): Promise<Scope | null> {
    const row = this.statements.getScope.get(scopeId) as ScopeRow | undefined;
    return row === undefined ? null : toScope(row);
  }

  async listScopes(): Promise<Scope[]> {
    return (this.statements.listScopes.all() as ScopeRow[]).map(toScope);
  }

  async scopesVersion(): Promise<string | null> {
    const row = this.statements.scopesVersion.get() as { n: number; r: number | null };
    return row.n === 0 ? null : `${row.n}:${row.r}`;
  }

  async findAccountByUsername(scopeId: string, username: string): Promise<Account | null> {
    const row = this.statements.findAccountByUsername.get(scopeId, username) as AccountRow | undefined;
    return row === undefined ? null : toAccount(row);
  }

  async createAccountWithCredential(account: Account, credential: Credential, audit?: NewAuditEvent): Promise<CreateAccountResult> {
    try {
      return this.insertAccountAndCredential(account, credential, audit);
    } catch (error) {
      const conflict = conflictOf(error);
      if (conflict === null) throw error;
      return { ok: false, conflict };
    }
  }

  async findCredential(scopeId: string, credentialId: string): Promise<Credential | null> {
    const row = this.statements.findCredential.get(scopeId, credentialId) as CredentialRow | undefined;
    return row === undefined ? null : toCredential(row);
  }

  async listCredentials(accountId: string): Promise<Credential[]> {
    return (this.statements.listCredentials.all(accountId) as CredentialRow[]).map(toCredential);
  }

  async findCredentialWithAccount(scopeId: string, credentialId: string): Promise<{ credential: Credential; account: Account } | null> {
    const row = this.statements.findCredentialWithAccount.get(scopeId, credentialId) as CredentialAccountRow | undefined;
    return row === undefined ? null : toCredentialWithAccount(row);
  }

  async findAccountWithCredentials(scopeId: string, username: string): Promise<{ account: Account; credentials: Credential[] } | null> {
    return toAccountWithCredentials(this.statements.findAccountWithCredentials.all(scopeId, username) as AccountCredentialRow[]);
  }

  async credentialShapes(scopeId: string, limit: number, createdBefore: string): Promise<CredentialShape[][]> {
    assertValidSampleLimit(limit);
    return toCredentialShapes(this.statements.credentialShapes.all(scopeId, canonicalTimestamp(createdBefore), limit) as CredentialShapeRow[]);
  }

  async getAccount(accountId: string): Promise<Account | null> {
    const row = this.statements.getAccount.get(accountId) as AccountRow | undefined;
    return row === undefined ? null : toAccount(row);
  }

  async setAccountDisabled(accountId: string, disabled: boolean, audit?: NewAuditEvent): Promise<boolean> {
    return this.change(() => this.statements.setAccountDisabled.run(disabled ? 1 : 0, accountId).changes, audit) > 0;
  }

  private change(run: () => number, audit: NewAuditEvent | undefined): number {
    return audit === undefined ? run() : this.changeAudited(run, audit);
  }

  async addCredential(credential: Credential, maxPerAccount: number, audit?: NewAuditEvent): Promise<AddCredentialResult> {
    assertValidCredentialLimit(maxPerAccount);
    try {
      return this.insertCredentialChecked(credential, maxPerAccount, audit);
    } catch (error) {
      if (conflictOf(error) !== 'credential_exists') throw error;
      return { ok: false, conflict: 'credential_exists' };
    }
  }

  async recordSignIn(scopeId: string, accountId: string, credentialId: string, use: CredentialUse, audit: readonly NewAuditEvent[] = []): Promise<SignInRecord> {
    return this.recordSignInChecked(scopeId, accountId, credentialId, use, audit);
  }

  async sessionState(accountId: string, credentialId: string, jti: string): Promise<SessionState | null> {
    const row = this.statements.sessionState.get(credentialId, jti, accountId) as SessionStateRow | undefined;
    return row === undefined ? null : toSessionState(row);
  }

  async revokeSession(revocation: SessionRevocation, now: string, audit?: NewAuditEvent): Promise<void> {
    this.revokeSessionAndSweep(revocation, now, audit);
  }

  async endSessions(accountId: string, validAfter: string, audit?: NewAuditEvent): Promise<boolean> {
    const at = canonicalTimestamp(validAfter);
    return this.change(() => this.statements.endSessions.run(at, at, accountId).changes, audit) > 0;
  }

  async markCredentialPossiblyCloned(scopeId: string, credentialId: string, audit?: NewAuditEvent): Promise<boolean> {
    return this.change(() => this.statements.markCredentialPossiblyCloned.run(scopeId, credentialId).changes, audit) > 0;
  }

  async renameCredential(accountId: string, credentialId: string, name: string, audit?: NewAuditEvent): Promise<boolean> {
    return this.change(() => this.statements.renameCredential.run(name, accountId, credentialId).changes, audit) > 0;
  }

  async deleteCredential(accountId: string, credentialId: string, audit?: NewAuditEvent): Promise<DeleteCredentialResult> {
    return this.deleteCredentialChecked(accountId, credentialId, audit);
  }

  async appendAuditEvent(event: NewAuditEvent): Promise<void> {
    this.statements.insertAuditEvent.run(...auditInsertValues(event));
  }

  async listAuditEvents(scopeId: string, query: AuditQuery): Promise<AuditEvent[]> {
    const since = query.since === undefined ? '' : canonicalTimestamp(query.since);
    const rows = this.statements.listAuditEvents.all(scopeId, query.afterId ?? 0, since, query.limit) as AuditRow[];
    return rows.map(toAuditEvent);
  }

  async ping(): Promise<void> {
    this.statements.ping.get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** One cached statement per distinct set of updated columns (there are at most 2^10). */
  private updateStatement(columns: string[]): Database.Statement {
    const key = columns.join(',');
    let statement = this.updateStatements.get(key);
    if (statement === undefined) {
      const sets = [...columns.map((column) => `${column} = ?`), 'updated_at = ?', `revision = ${nextScopeRevision}`];
      statement = this.db.prepare(`UPDATE scopes SET ${sets.join(', ')} WHERE scope_id = ? RETURNING ${scopeColumns}`);
      this.updateStatements.set(key, statement);
    }
    return statement;
  }
}

function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec(schemaMigrationsTable('sqlite'));
    const applied = new Set(
      (db.prepare('SELECT id FROM schema_migrations').all() as Array<{ id: number }>).map((row) => row.id),
    );
    const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of migrationsFor('sqlite')) {
      if (applied.has(migration.id)) continue;
      db.exec(migration.sql);
      record.run(migration.id, migration.name, new Date().toISOString());
    }
  }).immediate();
}

function prepareStatements(db: Database.Database) {
  const scopeInsertColumns = ['scope_id', ...updatableScopeColumns, 'created_at', 'updated_at', 'revision'];
  return {
    insertScope: db.prepare(
      `INSERT INTO scopes (${scopeInsertColumns.join(', ')})
       VALUES (${scopeInsertColumns.slice(0, -1).map(() => '?').join(', ')}, ${nextScopeRevision}) RETURNING ${scopeColumns}`,
    ),
    getScope: db.prepare(`SELECT ${scopeColumns} FROM scopes WHERE scope_id = ?`),
    listScopes: db.prepare(`SELECT ${scopeColumns} FROM scopes ORDER BY created_at, scope_id`),
    scopesVersion: db.prepare('SELECT count(*) AS n, max(revision) AS r FROM scopes'),
    findAccountByUsername: db.prepare(`SELECT ${accountColumns} FROM accounts WHERE scope_id = ? AND username = ?`),
    insertAccount: db.prepare(
      `INSERT INTO accounts (${accountColumns})
       VALUES (@account_id, @scope_id, @username, @display_name, @user_handle, @identifier_hash, @public_key,
               @address, @disabled, @created_at)
       RETURNING ${accountColumns}`,
    ),
    insertCredential: db.prepare(
      `INSERT INTO credentials (${credentialColumns})
       VALUES (@credential_id, @account_id, @scope_id, @public_key, @algorithm, @counter, @transports, @aaguid,
               @device_type, @backed_up, @created_at, @last_used_at, @name, @possibly_cloned)
       RETURNING ${credentialColumns}`,
    ),
    getAccount: db.prepare(`SELECT ${accountColumns} FROM accounts WHERE account_id = ?`),
    getAccountScope: db.prepare('SELECT scope_id FROM accounts WHERE account_id = ?'),
    setAccountDisabled: db.prepare('UPDATE accounts SET disabled = ? WHERE account_id = ?'),
    countCredentials: db.prepare('SELECT count(*) AS n FROM credentials WHERE account_id = ?'),
    credentialExists: db.prepare('SELECT 1 FROM credentials WHERE account_id = ? AND credential_id = ?'),
    deleteCredential: db.prepare('DELETE FROM credentials WHERE account_id = ? AND credential_id = ?'),
    signInState: db.prepare(
      `SELECT c.counter AS counter, a.disabled AS disabled FROM credentials c JOIN accounts a ON a.account_id = c.account_id
       WHERE c.scope_id = ? AND c.credential_id = ? AND c.account_id = ?`,
    ),
    // max(): the stored counter never goes down.
    recordSignIn: db.prepare(
      'UPDATE credentials SET counter = max(counter, ?), backed_up = ?, last_used_at = ?, device_type = ? WHERE scope_id = ? AND credential_id = ?',
    ),
    sessionState: db.prepare(
      `SELECT ${joinColumnLists.accountsQualified}, a.sessions_valid_after,
         (SELECT c.created_at FROM credentials c
          WHERE c.scope_id = a.scope_id AND c.credential_id = ? AND c.account_id = a.account_id) AS credential_created_at,
         EXISTS (SELECT 1 FROM revoked_sessions r WHERE r.jti = ?) AS revoked
       FROM accounts a WHERE a.account_id = ?`,
    ),
    revokeSession: db.prepare('INSERT INTO revoked_sessions (jti, account_id, expires_at) VALUES (?, ?, ?) ON CONFLICT (jti) DO NOTHING'),
    // Bounded, so one logout never pays for a backlog: every logout sweeps a little.
    sweepRevokedSessions: db.prepare('DELETE FROM revoked_sessions WHERE jti IN (SELECT jti FROM revoked_sessions WHERE expires_at < ? LIMIT 100)'),
    // Never moved back (canonical ISO text compares chronologically); SQLite's max() would return NULL for a NULL.
    endSessions: db.prepare(
      `UPDATE accounts SET sessions_valid_after = CASE WHEN sessions_valid_after IS NULL OR sessions_valid_after < ? THEN ? ELSE sessions_valid_after END
       WHERE account_id = ?`,
    ),
    markCredentialPossiblyCloned: db.prepare(
      'UPDATE credentials SET possibly_cloned = 1 WHERE scope_id = ? AND credential_id = ?',
    ),
    renameCredential: db.prepare('UPDATE credentials SET name = ? WHERE account_id = ? AND credential_id = ?'),
    findCredential: db.prepare(`SELECT ${credentialColumns} FROM credentials WHERE scope_id = ? AND credential_id = ?`),
    listCredentials: db.prepare(
      `SELECT ${credentialColumns} FROM credentials WHERE account_id = ? ORDER BY created_at, credential_id`,
    ),
    findCredentialWithAccount: db.prepare(
      `SELECT ${joinColumnLists.credentials}, ${joinColumnLists.accounts}
       FROM credentials c JOIN accounts a ON a.account_id = c.account_id
       WHERE c.scope_id = ? AND c.credential_id = ?`,
    ),
    findAccountWithCredentials: db.prepare(
      `SELECT ${joinColumnLists.accounts}, ${joinColumnLists.credentials}
       FROM accounts a LEFT JOIN credentials c ON c.account_id = a.account_id
       WHERE a.scope_id = ? AND a.username = ?
       ORDER BY c.created_at, c.credential_id`,
    ),
    // The newest accounts come off accounts_scope_created_idx; their passkeys off credentials_account_id_idx.
    credentialShapes: db.prepare(
      `SELECT c.account_id AS account_id, length(rtrim(c.credential_id, '=')) AS id_chars, c.transports AS transports
       FROM (SELECT account_id, created_at FROM accounts WHERE scope_id = ? AND created_at < ? ORDER BY created_at DESC, account_id DESC LIMIT ?) a
       JOIN credentials c ON c.account_id = a.account_id
       ORDER BY a.created_at DESC, a.account_id DESC, c.created_at, c.credential_id`,
    ),
    insertAuditEvent: db.prepare(
      `INSERT INTO audit_log (${auditInsertColumns})
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // Canonical ISO-8601 text sorts chronologically, so '' (no time filter) precedes every entry.
    listAuditEvents: db.prepare(
      `SELECT ${columnLists.audit} FROM audit_log WHERE scope_id = ? AND event_id > ? AND occurred_at >= ? ORDER BY event_id LIMIT ?`,
    ),
    ping: db.prepare('SELECT 1'),
  };
}

// Named parameters must match the statement exactly, so build them field by field (extra
// properties on the caller's objects would make better-sqlite3 throw).
function accountParams(account: Account): Record<string, string | number> {
  return {
    account_id: account.account_id,
    scope_id: account.scope_id,
    username: account.username,
    display_name: account.display_name,
    user_handle: account.user_handle,
    identifier_hash: account.identifier_hash,
    public_key: account.public_key,
    address: account.address,
    disabled: account.disabled ? 1 : 0,
    created_at: canonicalTimestamp(account.created_at),
  };
}

function credentialParams(credential: Credential): Record<string, string | number | null> {
  return {
    credential_id: credential.credential_id,
    account_id: credential.account_id,
    scope_id: credential.scope_id,
    public_key: credential.public_key,
    algorithm: credential.algorithm,
    counter: credential.counter,
    transports: JSON.stringify(credential.transports),
    aaguid: credential.aaguid,
    device_type: credential.device_type,
    // better-sqlite3 binds numbers, not booleans.
    backed_up: credential.backed_up ? 1 : 0,
    created_at: canonicalTimestamp(credential.created_at),
    last_used_at: canonicalTimestampOrNull(credential.last_used_at),
    name: credential.name,
    possibly_cloned: credential.possibly_cloned ? 1 : 0,
  };
}

/**
 * SQLite names the columns, not the constraint, in its message: "UNIQUE constraint failed: t.a, t.b".
 * Duck-typed rather than `instanceof SqliteError`: the native addon keeps the error class of the
 * first copy of better-sqlite3 loaded in a process, which breaks instanceof under module reloading.
 */
function conflictOf(error: unknown): AccountConflict | null {
  if (typeof error !== 'object' || error === null) return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return null;
  if (typeof message !== 'string') return null;
  if (message.includes('accounts.scope_id, accounts.username')) return 'account_exists';
  if (message.includes('credentials.scope_id, credentials.credential_id')) return 'credential_exists';
  return null;
}
