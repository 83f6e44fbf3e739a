import pg from 'pg';
import type { AuditEvent, AuditQuery, NewAuditEvent } from '../domain/audit-event.js';
import type { NewScope, Scope, ScopeUpdate } from '../domain/scope.js';
import type { Account, AccountConflict, AddCredentialResult, CreateAccountResult, Credential, CredentialShape, CredentialUse, DeleteCredentialResult, SignInRecord } from '../domain/account.js';
import type { AccountStore, SessionRevocation, SessionState } from './account-store.js';
import { constraintNames, migrationsFor, schemaMigrationsTable } from './migrations.js';
import {
  assertValidCredentialLimit,
  assertValidSampleLimit,
  auditInsertColumns,
  auditInsertValues,
  canonicalTimestamp,
  canonicalTimestampOrNull,
  columnLists,
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

export interface PostgresAccountStoreOptions {
  connectionString: string;
  /** Schema holding the tables; created if missing. Default: the server's search_path (usually public). */
  schema?: string;
  /** Maximum pooled connections per process. Default 10. */
  poolSize?: number;
  /** Server-side limit per statement. Default 5000 ms. */
  statementTimeoutMs?: number;
  /** Errors of idle pooled connections (the pool drops them itself); default: ignored. */
  onError?: (error: Error) => void;
}

/** Longest a start may spend migrating, including waiting for another process that migrates. */
const MIGRATION_TIMEOUT_MS = 15 * 60_000;

/** Lower-case identifiers only, so the name means the same quoted or not and never needs escaping. */
const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/;

const { accounts: accountColumns, credentials: credentialColumns, scopes: scopeColumns } = columnLists;
const scopeInsertColumns = ['scope_id', ...updatableScopeColumns, 'created_at', 'updated_at'];
// Scope writes take this lock, then read max(revision): revisions then grow in commit order, so a
// poller can never see revision N+1 committed before N and miss N.
const lockScopeWrites = {
  name: 'pkgw_lock_scope_writes',
  text: "SELECT pg_advisory_xact_lock(hashtextextended('passkey-gateway:scopes:' || coalesce(current_schema(), ''), 0))",
};

/** How many values one audit row takes (auditInsertValues). */
const AUDIT_VALUES = 8;

/** The eight audit values as parameters from `$first`, typed (a SELECT list does not infer them). */
function auditParams(first: number): string {
  const types = ['text', 'timestamptz', 'text', 'text', 'text', 'text', 'text', 'text'];
  return types.map((type, i) => `$${first + i}::${type}`).join(', ');
}

function insertAccountWithCredentialSql(audited: boolean): string {
  const params = (first: number, count: number) => Array.from({ length: count }, (_, i) => `$${first + i}`).join(', ');
  return `WITH a AS (INSERT INTO accounts (${accountColumns}) VALUES (${params(1, 10)}) RETURNING ${accountColumns}),
               c AS (INSERT INTO credentials (${credentialColumns}) VALUES (${params(11, 14)}) RETURNING ${credentialColumns})${
                 audited ? `,\n               e AS (INSERT INTO audit_log (${auditInsertColumns}) VALUES (${auditParams(25)}))` : ''
               }
          SELECT ${joinColumnLists.credentials}, ${joinColumnLists.accounts} FROM a, c`;
}

/**
 * A single-row change with its audit rows in the same statement, written only when a row changed:
 * `statement` must be an UPDATE (or INSERT) taking `parameterCount` parameters; the values of
 * `auditCount` audit rows follow them. Built once per statement and prepared under its own name.
 */
const auditedStatements = new Map<string, { name: string; text: string }>();
function audited(statement: { name: string; text: string }, parameterCount: number, auditCount = 1): { name: string; text: string } {
  const name = `${statement.name}_audited_${auditCount}`;
  let built = auditedStatements.get(name);
  if (built === undefined) {
    const rows = Array.from({ length: auditCount }, (_, i) => `(${auditParams(parameterCount + 1 + i * AUDIT_VALUES)})`).join(', ');
    built = {
      name,
      text: `WITH changed AS (${statement.text} RETURNING 1)
             INSERT INTO audit_log (${auditInsertColumns}) SELECT v.* FROM changed CROSS JOIN (VALUES ${rows}) AS v`,
    };
    auditedStatements.set(name, built);
  }
  return built;
}

// Hot statements carry a `name`, so pg prepares them once per connection.
const sql = {
  insertScope: {
    name: 'pkgw_insert_scope',
    text: `INSERT INTO scopes (${scopeInsertColumns.join(', ')}, revision)
           VALUES (${scopeInsertColumns.map((_, i) => `$${i + 1}`).join(', ')}, ${nextScopeRevision}) RETURNING ${scopeColumns}`,
  },
  getScope: { name: 'pkgw_get_scope', text: `SELECT ${scopeColumns} FROM scopes WHERE scope_id = $1` },
  listScopes: { name: 'pkgw_list_scopes', text: `SELECT ${scopeColumns} FROM scopes ORDER BY created_at, scope_id` },
  scopesVersion: {
    name: 'pkgw_scopes_version',
    text: 'SELECT count(*)::int AS n, max(revision)::text AS r FROM scopes',
  },
  findAccountByUsername: {
    name: 'pkgw_find_account_by_username',
    text: `SELECT ${accountColumns} FROM accounts WHERE scope_id = $1 AND username = $2`,
  },
  // Account, first credential and (when given) the audit row in one statement: one round trip
  // and one commit, all or nothing. Foreign keys are checked at the end of the statement.
  insertAccountWithCredential: {
    name: 'pkgw_insert_account_with_credential',
    text: insertAccountWithCredentialSql(false),
  },
  insertAccountWithCredentialAudited: {
    name: 'pkgw_insert_account_with_credential_audited',
    text: insertAccountWithCredentialSql(true),
  },
  insertCredential: {
    name: 'pkgw_insert_credential',
    text: `INSERT INTO credentials (${credentialColumns})
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           RETURNING ${credentialColumns}`,
  },
  getAccount: {
    name: 'pkgw_get_account',
    text: `SELECT ${accountColumns} FROM accounts WHERE account_id = $1`,
  },
  setAccountDisabled: {
    name: 'pkgw_set_account_disabled',
    text: 'UPDATE accounts SET disabled = $2 WHERE account_id = $1',
  },
  // Credential additions and deletions of one account queue on its row, so the count they check
  // cannot change before they commit.
  lockAccount: {
    name: 'pkgw_lock_account',
    text: 'SELECT scope_id FROM accounts WHERE account_id = $1 FOR UPDATE',
  },
  countCredentials: {
    name: 'pkgw_count_credentials',
    text: 'SELECT count(*)::int AS n FROM credentials WHERE account_id = $1',
  },
  countCredentialsMatching: {
    name: 'pkgw_count_credentials_matching',
    text: `SELECT count(*)::int AS n, (count(*) FILTER (WHERE credential_id = $2))::int AS matching
           FROM credentials WHERE account_id = $1`,
  },
  deleteCredential: {
    name: 'pkgw_delete_credential',
    text: 'DELETE FROM credentials WHERE account_id = $1 AND credential_id = $2',
  },
  // A verified sign-in in one statement: the update happens only for an enabled account's credential
  // whose counter grew (or either counter is 0), and its audit row only with it. The WHERE clause is
  // re-checked against the latest row version when a concurrent sign-in updated it first, and
  // GREATEST keeps the higher counter of two racing sign-ins.
  recordSignIn: {
    name: 'pkgw_record_sign_in',
    text: `UPDATE credentials c SET counter = GREATEST(c.counter, $4::bigint), backed_up = $5, last_used_at = $6, device_type = $7
           FROM accounts a
           WHERE c.scope_id = $1 AND c.credential_id = $2 AND c.account_id = $3 AND a.account_id = c.account_id
             AND NOT a.disabled AND NOT (($4::bigint > 0 OR c.counter > 0) AND $4::bigint <= c.counter)`,
  },
  // Why recordSignIn changed nothing (only read on that path).
  signInRefusal: {
    name: 'pkgw_sign_in_refusal',
    text: `SELECT c.counter, a.disabled FROM credentials c JOIN accounts a ON a.account_id = c.account_id
           WHERE c.scope_id = $1 AND c.credential_id = $2 AND c.account_id = $3`,
  },
  markCredentialPossiblyCloned: {
    name: 'pkgw_mark_credential_possibly_cloned',
    text: 'UPDATE credentials SET possibly_cloned = true WHERE scope_id = $1 AND credential_id = $2',
  },
  renameCredential: {
    name: 'pkgw_rename_credential',
    text: 'UPDATE credentials SET name = $3 WHERE account_id = $1 AND credential_id = $2',
  },
  findCredential: {
    name: 'pkgw_find_credential',
    text: `SELECT ${credentialColumns} FROM credentials WHERE scope_id = $1 AND credential_id = $2`,
  },
  // The two sign-in reads, each one round trip instead of two.
  findCredentialWithAccount: {
    name: 'pkgw_find_credential_with_account',
    text: `SELECT ${joinColumnLists.credentials}, ${joinColumnLists.accounts}
           FROM credentials c JOIN accounts a ON a.account_id = c.account_id
           WHERE c.scope_id = $1 AND c.credential_id = $2`,
  },
  findAccountWithCredentials: {
    name: 'pkgw_find_account_with_credentials',
    text: `SELECT ${joinColumnLists.accounts}, ${joinColumnLists.credentials}
           FROM accounts a LEFT JOIN credentials c ON c.account_id = a.account_id
           WHERE a.scope_id = $1 AND a.username = $2
           ORDER BY c.created_at, c.credential_id`,
  },
  // The session check's read: the account, and whether the session's passkey, jti and time still hold.
  sessionState: {
    name: 'pkgw_session_state',
    text: `SELECT ${joinColumnLists.accountsQualified}, a.sessions_valid_after,
             (SELECT c.created_at FROM credentials c
              WHERE c.scope_id = a.scope_id AND c.credential_id = $2 AND c.account_id = a.account_id) AS credential_created_at,
             EXISTS (SELECT 1 FROM revoked_sessions r WHERE r.jti = $3) AS revoked
           FROM accounts a WHERE a.account_id = $1`,
  },
  revokeSession: {
    name: 'pkgw_revoke_session',
    text: 'INSERT INTO revoked_sessions (jti, account_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING',
  },
  // Bounded, so one logout never pays for a backlog: every logout sweeps a little.
  sweepRevokedSessions: {
    name: 'pkgw_sweep_revoked_sessions',
    text: 'DELETE FROM revoked_sessions WHERE jti IN (SELECT jti FROM revoked_sessions WHERE expires_at < $1 LIMIT 100)',
  },
  // Never moved back: of two concurrent calls the later time wins.
  endSessions: {
    name: 'pkgw_end_sessions',
    text: `UPDATE accounts SET sessions_valid_after = GREATEST(sessions_valid_after, $2::timestamptz) WHERE account_id = $1`,
  },
  // The newest accounts come off accounts_scope_created_idx, which only a scope_id compared in
  // collation "C" can use (see migration 6); their passkeys off credentials_account_id_idx.
  credentialShapes: {
    name: 'pkgw_credential_shapes',
    text: `SELECT c.account_id, length(rtrim(c.credential_id, '=')) AS id_chars, c.transports
           FROM (SELECT account_id, created_at FROM accounts WHERE scope_id COLLATE "C" = $1 AND created_at < $3 ORDER BY created_at DESC, account_id DESC LIMIT $2) a
           JOIN credentials c ON c.account_id = a.account_id
           ORDER BY a.created_at DESC, a.account_id DESC, c.created_at, c.credential_id`,
  },
  insertAuditEvent: {
    name: 'pkgw_insert_audit_event',
    text: `INSERT INTO audit_log (${auditInsertColumns}) VALUES (${auditParams(1)})`,
  },
  // $2/$3 are optional filters: a null cursor or time matches everything.
  listAuditEvents: {
    name: 'pkgw_list_audit_events',
    text: `SELECT ${columnLists.audit} FROM audit_log
           WHERE scope_id = $1 AND event_id > coalesce($2::bigint, 0) AND occurred_at >= coalesce($3::timestamptz, '-infinity')
           ORDER BY event_id LIMIT $4`,
  },
  listCredentials: {
    name: 'pkgw_list_credentials',
    text: `SELECT ${credentialColumns} FROM credentials WHERE account_id = $1 ORDER BY created_at, credential_id`,
  },
} as const;

/**
 * AccountStore on PostgreSQL, shared by any number of gateway processes. Unique constraints decide
 * every race; connectivity errors (refused, terminated, pool timeout) are thrown unchanged for the
 * caller to map to service_unavailable.
 */
export class PostgresAccountStore implements AccountStore {
  private closed = false;

  private constructor(private readonly pool: pg.Pool) {}

  /** Connects, creates the schema if needed and applies pending migrations. */
  static async open(options: PostgresAccountStoreOptions): Promise<PostgresAccountStore> {
    const { schema } = options;
    if (schema !== undefined && (!schemaNamePattern.test(schema) || schema.startsWith('pg_'))) {
      throw new RangeError(`invalid schema name ${JSON.stringify(schema)}: use [a-z_][a-z0-9_]*, not starting with pg_`);
    }
    const statementTimeoutMs = options.statementTimeoutMs ?? 5000;
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      statement_timeout: statementTimeoutMs,
      // Client-side backstop for when the server (or the network) stops answering altogether.
      query_timeout: statementTimeoutMs + 1000,
      application_name: 'passkey-gateway',
      // Every pooled connection resolves unqualified table names in our schema only.
      ...(schema === undefined ? {} : { options: `-c search_path=${quoteIdentifier(schema)}` }),
    });
    // An idle connection dropped by the server emits here; without a listener it would crash the process.
    pool.on('error', options.onError ?? (() => {}));
    try {
      await migrate(pool, schema);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresAccountStore(pool);
  }

  async createScope(scope: NewScope): Promise<Scope> {
    const now = new Date().toISOString();
    return withTransaction(this.pool, async (client) => {
      await client.query(lockScopeWrites);
      const result = await client.query<ScopeRow>({
        ...sql.insertScope,
        values: [scope.scope_id, ...scopeInsertValues(scope), now, now],
      });
      return toScope(firstRow(result));
    });
  }

  async updateScope(scopeId: string, update: ScopeUpdate): Promise<Scope | null> {
    const assignments = scopeColumnValues(update);
    const sets = assignments.map(([column], i) => `${column} = $${i + 1}`);
    const n = assignments.length;
    sets.push(`updated_at = $${n + 1}`, `revision = ${nextScopeRevision}`);
    return withTransaction(this.pool, async (client) => {
      await client.query(lockScopeWrites);
      const result = await client.query<ScopeRow>({
        text: `UPDATE scopes SET ${sets.join(', ')} WHERE scope_id = $${n + 2} RETURNING ${scopeColumns}`,
        values: [...assignments.map(([, value]) => value), new Date().toISOString(), scopeId],
      });
      const row = result.rows[0];
      return row === undefined ? null : toScope(row);
    });
  }

  async getScope(scopeId: string): Promise<Scope | null> {
    const result = await this.pool.query<ScopeRow>({ ...sql.getScope, values: [scopeId] });
    const row = result.rows[0];
    return row === undefined ? null : toScope(row);
  }

  async listScopes(): Promise<Scope[]> {
    const result = await this.pool.query<ScopeRow>(sql.listScopes);
    return result.rows.map(toScope);
  }

  async scopesVersion(): Promise<string | null> {
    const result = await this.pool.query<{ n: number; r: string | null }>(sql.scopesVersion);
    const row = firstRow(result);
    return row.n === 0 ? null : `${row.n}:${row.r}`;
  }

  async findAccountByUsername(scopeId: string, username: string): Promise<Account | null> {
    const result = await this.pool.query<AccountRow>({ ...sql.findAccountByUsername, values: [scopeId, username] });
    const row = result.rows[0];
    return row === undefined ? null : toAccount(row);
  }

  async createAccountWithCredential(account: Account, credential: Credential, audit?: NewAuditEvent): Promise<CreateAccountResult> {
    const accountValues = [
      account.account_id,
      account.scope_id,
      account.username,
      account.display_name,
      account.user_handle,
      account.identifier_hash,
      account.public_key,
      account.address,
      account.disabled,
      canonicalTimestamp(account.created_at),
    ];
    const values = [...accountValues, ...credentialInsertValues(credential), ...(audit === undefined ? [] : auditInsertValues(audit))];
    const statement = audit === undefined ? sql.insertAccountWithCredential : sql.insertAccountWithCredentialAudited;
    try {
      const row = firstRow(await this.pool.query<CredentialAccountRow>({ ...statement, values }));
      return { ok: true, ...toCredentialWithAccount(row) };
    } catch (error) {
      const conflict = conflictOf(error);
      if (conflict === null) throw error;
      return { ok: false, conflict };
    }
  }

  async findCredential(scopeId: string, credentialId: string): Promise<Credential | null> {
    const result = await this.pool.query<CredentialRow>({ ...sql.findCredential, values: [scopeId, credentialId] });
    const row = result.rows[0];
    return row === undefined ? null : toCredential(row);
  }

  async listCredentials(accountId: string): Promise<Credential[]> {
    const result = await this.pool.query<CredentialRow>({ ...sql.listCredentials, values: [accountId] });
    return result.rows.map(toCredential);
  }

  async findCredentialWithAccount(scopeId: string, credentialId: string): Promise<{ credential: Credential; account: Account } | null> {
    const result = await this.pool.query<CredentialAccountRow>({ ...sql.findCredentialWithAccount, values: [scopeId, credentialId] });
    const row = result.rows[0];
    return row === undefined ? null : toCredentialWithAccount(row);
  }

  async findAccountWithCredentials(scopeId: string, username: string): Promise<{ account: Account; credentials: Credential[] } | null> {
    const result = await this.pool.query<AccountCredentialRow>({ ...sql.findAccountWithCredentials, values: [scopeId, username] });
    return toAccountWithCredentials(result.rows);
  }

  async credentialShapes(scopeId: string, limit: number, createdBefore: string): Promise<CredentialShape[][]> {
    assertValidSampleLimit(limit);
    const result = await this.pool.query<CredentialShapeRow>({ ...sql.credentialShapes, values: [scopeId, limit, canonicalTimestamp(createdBefore)] });
    return toCredentialShapes(result.rows);
  }

  async getAccount(accountId: string): Promise<Account | null> {
    const result = await this.pool.query<AccountRow>({ ...sql.getAccount, values: [accountId] });
    const row = result.rows[0];
    return row === undefined ? null : toAccount(row);
  }

  async setAccountDisabled(accountId: string, disabled: boolean, audit?: NewAuditEvent): Promise<boolean> {
    return (await this.change(sql.setAccountDisabled, [accountId, disabled], audit)) > 0;
  }

  /** Runs a single-row change, with the `audit` rows in the same statement when given; the rows changed. */
  private async change(
    statement: { name: string; text: string },
    values: unknown[],
    audit: NewAuditEvent | readonly NewAuditEvent[] | undefined,
  ): Promise<number> {
    const events = audit === undefined ? [] : Array.isArray(audit) ? audit : [audit as NewAuditEvent];
    const result =
      events.length === 0
        ? await this.pool.query({ ...statement, values })
        : await this.pool.query({ ...audited(statement, values.length, events.length), values: [...values, ...events.flatMap(auditInsertValues)] });
    return result.rowCount ?? 0;
  }

  async addCredential(credential: Credential, maxPerAccount: number, audit?: NewAuditEvent): Promise<AddCredentialResult> {
    assertValidCredentialLimit(maxPerAccount);
    const values = credentialInsertValues(credential);
    try {
      return await withTransaction(this.pool, async (client): Promise<AddCredentialResult> => {
        const account = await client.query<{ scope_id: string }>({ ...sql.lockAccount, values: [credential.account_id] });
        // A credential must live in its account's scope; any other scope has no such account.
        if (account.rows[0]?.scope_id !== credential.scope_id) return { ok: false, conflict: 'account_not_found' };
        const { n } = firstRow(await client.query<{ n: number }>({ ...sql.countCredentials, values: [credential.account_id] }));
        if (n >= maxPerAccount) return { ok: false, conflict: 'too_many_credentials' };
        const row = firstRow(await client.query<CredentialRow>({ ...sql.insertCredential, values }));
        if (audit !== undefined) await client.query({ ...sql.insertAuditEvent, values: auditInsertValues(audit) });
        return { ok: true, credential: toCredential(row) };
      });
    } catch (error) {
      if (conflictOf(error) !== 'credential_exists') throw error;
      return { ok: false, conflict: 'credential_exists' };
    }
  }

  async recordSignIn(scopeId: string, accountId: string, credentialId: string, use: CredentialUse, audit?: readonly NewAuditEvent[]): Promise<SignInRecord> {
    const values = [scopeId, credentialId, accountId, use.counter, use.backed_up, canonicalTimestamp(use.last_used_at), use.device_type];
    if ((await this.change(sql.recordSignIn, values, audit)) > 0) return 'recorded';
    const refusal = await this.pool.query<{ counter: string; disabled: boolean }>({ ...sql.signInRefusal, values: [scopeId, credentialId, accountId] });
    const row = refusal.rows[0];
    return signInRefusal(row === undefined ? undefined : { counter: Number(row.counter), disabled: row.disabled }, use.counter);
  }

  async markCredentialPossiblyCloned(scopeId: string, credentialId: string, audit?: NewAuditEvent): Promise<boolean> {
    return (await this.change(sql.markCredentialPossiblyCloned, [scopeId, credentialId], audit)) > 0;
  }

  async renameCredential(accountId: string, credentialId: string, name: string, audit?: NewAuditEvent): Promise<boolean> {
    return (await this.change(sql.renameCredential, [accountId, credentialId, name], audit)) > 0;
  }

  async deleteCredential(accountId: string, credentialId: string, audit?: NewAuditEvent): Promise<DeleteCredentialResult> {
    return withTransaction(this.pool, async (client): Promise<DeleteCredentialResult> => {
      const account = await client.query({ ...sql.lockAccount, values: [accountId] });
      if (account.rowCount === 0) return 'not_found';
      const counts = firstRow(
        await client.query<{ n: number; matching: number }>({ ...sql.countCredentialsMatching, values: [accountId, credentialId] }),
      );
      if (counts.matching === 0) return 'not_found';
      if (counts.n <= 1) return 'last_credential';
      await client.query({ ...sql.deleteCredential, values: [accountId, credentialId] });
      if (audit !== undefined) await client.query({ ...sql.insertAuditEvent, values: auditInsertValues(audit) });
      return 'deleted';
    });
  }

  async sessionState(accountId: string, credentialId: string, jti: string): Promise<SessionState | null> {
    const result = await this.pool.query<SessionStateRow>({ ...sql.sessionState, values: [accountId, credentialId, jti] });
    const row = result.rows[0];
    return row === undefined ? null : toSessionState(row);
  }

  async revokeSession(revocation: SessionRevocation, now: string, audit?: NewAuditEvent): Promise<void> {
    await this.change(sql.revokeSession, [revocation.jti, revocation.account_id, canonicalTimestamp(revocation.expires_at)], audit);
    await this.pool.query({ ...sql.sweepRevokedSessions, values: [canonicalTimestamp(now)] });
  }

  async endSessions(accountId: string, validAfter: string, audit?: NewAuditEvent): Promise<boolean> {
    return (await this.change(sql.endSessions, [accountId, canonicalTimestamp(validAfter)], audit)) > 0;
  }

  async appendAuditEvent(event: NewAuditEvent): Promise<void> {
    await this.pool.query({ ...sql.insertAuditEvent, values: auditInsertValues(event) });
  }

  async listAuditEvents(scopeId: string, query: AuditQuery): Promise<AuditEvent[]> {
    const since = query.since === undefined ? null : canonicalTimestamp(query.since);
    const result = await this.pool.query<AuditRow>({ ...sql.listAuditEvents, values: [scopeId, query.afterId ?? null, since, query.limit] });
    return result.rows.map(toAuditEvent);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    // pg throws if end() is called twice.
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * Applies pending migrations in one transaction. The advisory lock (per schema) makes processes
 * that start together queue up: the first migrates, the rest find everything applied.
 */
async function migrate(pool: pg.Pool, schema: string | undefined): Promise<void> {
  await withTransaction(pool, async (client) => {
    // Waiting for another process's migration, or rebuilding a big table, takes far longer than an
    // ordinary statement: both the server's limit and the pool's client-side backstop are lifted
    // (pg applies the pool's query_timeout to every query that does not name its own).
    const run = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
      client.query<R>({ text, values, query_timeout: MIGRATION_TIMEOUT_MS + 1000 } as pg.QueryConfig);
    await run(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
    await run('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`passkey-gateway:migrations:${schema ?? ''}`]);
    if (schema !== undefined) {
      // Checked first because CREATE SCHEMA IF NOT EXISTS demands the CREATE privilege even when
      // the schema exists, which a least-privilege role may lack.
      const existing = await run('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (existing.rowCount === 0) await run(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    }
    await run(schemaMigrationsTable('postgres'));
    const applied = await run<{ id: number }>('SELECT id FROM schema_migrations');
    const appliedIds = new Set(applied.rows.map((row) => row.id));
    for (const migration of migrationsFor('postgres')) {
      if (appliedIds.has(migration.id)) continue;
      await run(migration.sql);
      await run('INSERT INTO schema_migrations (id, name, applied_at) VALUES ($1, $2, now())', [migration.id, migration.name]);
    }
  });
}

async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // When ROLLBACK itself fails the connection is unusable; releasing with an error destroys it.
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

function credentialInsertValues(credential: Credential): unknown[] {
  return [
    credential.credential_id,
    credential.account_id,
    credential.scope_id,
    credential.public_key,
    credential.algorithm,
    credential.counter,
    JSON.stringify(credential.transports),
    credential.aaguid,
    credential.device_type,
    credential.backed_up,
    canonicalTimestamp(credential.created_at),
    canonicalTimestampOrNull(credential.last_used_at),
    credential.name,
    credential.possibly_cloned,
  ];
}

function firstRow<R extends pg.QueryResultRow>(result: pg.QueryResult<R>): R {
  const row = result.rows[0];
  if (row === undefined) throw new Error('query returned no row');
  return row;
}

/** PostgreSQL names the violated constraint, which tells the two unique rules apart. */
function conflictOf(error: unknown): AccountConflict | null {
  // Duck-typed like the SQLite store, so a second copy of pg (or pg-native) is recognised too.
  if (typeof error !== 'object' || error === null) return null;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  if (code !== '23505') return null;
  if (constraint === constraintNames.accountsUsername) return 'account_exists';
  if (constraint === constraintNames.credentialsPrimaryKey) return 'credential_exists';
  return null;
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
