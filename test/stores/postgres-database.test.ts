import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sqlStores } from '../../src/stores/open-stores.js';
import { postgres } from '../../src/sql/dialect.js';
import { schemaMigrationsTable } from '../../src/sql/migration.js';
import { migrations as gatewayMigrations } from '../../src/stores/migrations.js';
import { openPostgresDatabase, type PostgresOptions } from '../../src/sql/postgres-database.js';
import { databaseUrl, describeWithPostgres } from '../support/backends.js';
import { dropSchemas } from '../support/postgres-schemas.js';
import { appliedMigrations, newAccount, newCredential, newScope } from './sql-fixtures.js';
import { expectLimitsHoldAcrossStores } from './cross-store-races.case.js';
import { expectUpgradedFromMigrationOne } from './migration-upgrade.case.js';
import { match } from '../support/match.js';
import { TcpFaultProxy } from '../resilience/tcp-fault-proxy.js';
import { statement } from '../../src/sql/statement.js';

/** The SQL stores over a PostgreSQL database, as one process would open them. */
async function openStores(options: Omit<PostgresOptions, 'migrations'>) {
  const database = await openPostgresDatabase({ ...options, migrations: gatewayMigrations });
  return { ...sqlStores(database), database };
}

describeWithPostgres('PostgreSQL database specifics', () => {
  const runSchema = `pkgw_test_${randomBytes(6).toString('hex')}`;
  let admin: pg.Pool;
  let schemaCount = 0;
  const freshSchema = () => `${runSchema}_${++schemaCount}`;

  beforeAll(() => {
    admin = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  });

  afterAll(async () => {
    await dropSchemas(admin, runSchema);
    await admin.end();
  });

  test('processes opening together migrate once, without racing', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(
      Array.from({ length: 5 }, () => openStores({ connectionString: databaseUrl, schema, poolSize: 2 })),
    );
    try {
      const migrations = await admin.query(`SELECT id, name FROM "${schema}".schema_migrations ORDER BY id`);
      expect(migrations.rows).toEqual(appliedMigrations);
      await Promise.all(stores.map((store) => store.database.ping()));
    } finally {
      await Promise.all(stores.map((store) => store.database.close()));
    }
  });

  test('migrating may take longer than an ordinary statement: a process waiting for another one still starts', async () => {
    const schema = freshSchema();
    // Another process holding the migration lock (as while it rebuilds a big table) for longer
    // than this store's statement timeout and its client-side backstop together.
    const other = await admin.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`passkey-gateway:migrations:${schema}`]);
      const opening = openStores({ connectionString: databaseUrl, schema, statementTimeoutMs: 200 });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await other.query('COMMIT');
      const store = await opening;
      try {
        await expect(store.database.ping()).resolves.toBeUndefined();
        const migrations = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".schema_migrations`);
        expect(migrations.rows[0]).toEqual({ n: gatewayMigrations.length });
      } finally {
        await store.database.close();
      }
    } finally {
      other.release();
    }
  });

  test('tables live in the configured schema only', async () => {
    const schema = freshSchema();
    const store = await openStores({ connectionString: databaseUrl, schema });
    try {
      const tables = await admin.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      expect(tables.rows.map((row) => row.table_name)).toEqual([
        'accounts', 'api_keys', 'audit_log', 'credentials', 'delegate_keys', 'delegated_accounts', 'key_signature_uses', 'one_time_tokens', 'operator_invites',
        'recovery_codes', 'revoked_sessions', 'schema_migrations', 'scopes', 'webhook_deliveries', 'webhook_endpoints',
      ]);
      // So does migration 11's outbox trigger function.
      const functions = await admin.query<{ schema: string }>("SELECT n.nspname AS schema FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = 'webhook_outbox_fan_out' AND n.nspname = $1", [schema]);
      expect(functions.rows).toEqual([{ schema }]);
    } finally {
      await store.database.close();
    }
  });

  test('registrations racing through separate pools: exactly one per username', async () => {
    const schema = freshSchema();
    const a = await openStores({ connectionString: databaseUrl, schema, poolSize: 5 });
    const b = await openStores({ connectionString: databaseUrl, schema, poolSize: 5 });
    try {
      const scope = await a.scopes.createScope(newScope());
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => {
          const account = newAccount(scope.scope_id, 'mallory');
          return (i % 2 === 0 ? a : b).accounts.createAccountWithCredential(account, newCredential(account, `cred-${i}`));
        }),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      expect(results.filter((result) => !result.ok && result.conflict === 'account_exists')).toHaveLength(9);
    } finally {
      await a.database.close();
      await b.database.close();
    }
  });

  test('concurrent scope writes from two pools get distinct, ordered revisions', async () => {
    const schema = freshSchema();
    const a = await openStores({ connectionString: databaseUrl, schema, poolSize: 4 });
    const b = await openStores({ connectionString: databaseUrl, schema, poolSize: 4 });
    try {
      const scope = await a.scopes.createScope(newScope());
      await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).scopes.updateScope(scope.scope_id, { name: `n${i}` })),
      );
      await expect(a.scopes.scopesVersion()).resolves.toBe('1:9');
    } finally {
      await a.database.close();
      await b.database.close();
    }
  });

  test('migration 2 upgrades a schema that only had migration 1, keeping its rows', async () => {
    const schema = freshSchema();
    const raw = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
    await raw.connect();
    try {
      await raw.query(`CREATE SCHEMA ${schema}`);
      await raw.query(schemaMigrationsTable(postgres));
      const [first] = gatewayMigrations;
      await raw.query(first!.sql(postgres));
      await raw.query('INSERT INTO schema_migrations (id, name, applied_at) VALUES (1, $1, now())', [first!.name]);
      await raw.query(
        `INSERT INTO scopes (scope_id, name, rp_id, rp_name, origins, user_verification, attestation, resident_key,
                             timeout_ms, algorithms, created_at, updated_at, revision)
         VALUES ('old-scope', 'Old', 'example.com', 'Old', '["https://example.com"]', 'required', 'none', 'preferred',
                 300000, '[-7]', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', 1)`,
      );
      await raw.query(
        `INSERT INTO accounts (account_id, scope_id, username, display_name, user_handle, identifier_hash, created_at)
         VALUES ('old-account', 'old-scope', 'olga', 'Olga', 'aGFuZGxl', 'hash-olga', '2025-01-01T00:00:01.000Z')`,
      );
      await raw.query(
        `INSERT INTO credentials (credential_id, scope_id, account_id, public_key, algorithm, counter, transports,
                                  aaguid, device_type, backed_up, created_at)
         VALUES ('old-cred', 'old-scope', 'old-account', 'cGs', -7, 3, '["usb"]', 'aaguid', 'singleDevice', false,
                 '2025-01-01T00:00:02.000Z')`,
      );
    } finally {
      await raw.end();
    }

    const store = await openStores({ connectionString: databaseUrl, schema });
    try {
      await expectUpgradedFromMigrationOne(store);
      const migrations = await admin.query(`SELECT id FROM "${schema}".schema_migrations ORDER BY id`);
      expect(migrations.rows).toEqual(appliedMigrations.map(({ id }) => ({ id })));
    } finally {
      await store.database.close();
    }
  });

  test('a lookup by username or user handle reads its own key, not every account of the scope; so does the shape sample', async () => {
    const schema = freshSchema();
    const store = await openStores({ connectionString: databaseUrl, schema });
    // A session of its own: the plan settings below must not leak into the shared admin pool.
    const raw = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema} -c plan_cache_mode=force_generic_plan` });
    await raw.connect();
    try {
      const scope = await store.scopes.createScope(newScope());
      for (let i = 0; i < 30; i += 1) {
        const account = newAccount(scope.scope_id, `user-${i}`);
        await store.accounts.createAccountWithCredential(account, newCredential(account, `cred-${i}`));
      }
      // The generic plan is what a pooled connection keeps reusing for a prepared statement. On a
      // young table without statistics (and for good where autovacuum is off) it must still probe
      // the looked-up column instead of walking every account of the scope.
      await raw.query('PREPARE by_username(text, text) AS SELECT account_id FROM accounts WHERE scope_id = $1 AND username = $2');
      await raw.query('PREPARE by_handle(text, text) AS SELECT account_id FROM accounts WHERE scope_id = $1 AND user_handle = $2');
      const planOf = async (statement: string, value: string) => {
        const result = await raw.query<{ 'QUERY PLAN': [{ Plan: Record<string, unknown> }] }>(
          `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE ${statement}(${pg.escapeLiteral(scope.scope_id)}, ${pg.escapeLiteral(value)})`,
        );
        const plan = result.rows[0]!['QUERY PLAN'][0].Plan;
        const indexCond = plan['Index Cond'];
        return { indexCond: typeof indexCond === 'string' ? indexCond : '', filtered: Number(plan['Rows Removed by Filter'] ?? 0), rows: Number(plan['Actual Rows']) };
      };
      const handle = newAccount(scope.scope_id, 'x').user_handle;
      await expect(planOf('by_username', 'user-7')).resolves.toEqual({ indexCond: match.stringMatching('username'), filtered: 0, rows: 1 });
      await expect(planOf('by_username', 'nobody')).resolves.toEqual({ indexCond: match.stringMatching('username'), filtered: 0, rows: 0 });
      await expect(planOf('by_handle', handle)).resolves.toEqual({ indexCond: match.stringMatching('user_handle'), filtered: 0, rows: 0 });

      // The shape sample (credentialShapes' account read) walks the newest accounts off their own key.
      await raw.query(
        `PREPARE newest(text, bigint) AS SELECT account_id FROM accounts WHERE scope_id COLLATE "C" = $1
         ORDER BY created_at DESC, account_id DESC LIMIT $2`,
      );
      const sample = await raw.query<{ 'QUERY PLAN': [{ Plan: { Plans?: Array<Record<string, unknown>> } }] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE newest(${pg.escapeLiteral(scope.scope_id)}, 5)`,
      );
      const scan = sample.rows[0]!['QUERY PLAN'][0].Plan.Plans?.[0] ?? {};
      expect({ index: scan['Index Name'], direction: scan['Scan Direction'], rows: scan['Actual Rows'] }).toEqual({
        index: 'accounts_scope_created_idx',
        direction: 'Backward',
        rows: 5,
      });
    } finally {
      await raw.end();
      await store.database.close();
    }
  });

  test('a connection reset in the middle of a transaction fails that transaction, not the process', async () => {
    const target = new URL(databaseUrl);
    const proxy = new TcpFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.start();
    target.host = `127.0.0.1:${proxy.port}`;
    const database = await openPostgresDatabase({ connectionString: target.toString(), schema: freshSchema(), migrations: [] });
    try {
      const one = statement('select_one', 'SELECT 1 AS one');
      const failed = database.transaction(async (tx) => {
        await tx.all(one);
        // The server's connection goes while the transaction holds it: the client emits 'error'
        // with no query of its own running, which an unheard client would throw at the process.
        proxy.setMode('drop');
        await new Promise((resolve) => setTimeout(resolve, 200));
        return tx.all(one);
      });
      await expect(failed).rejects.toThrow();
      proxy.setMode('pass');
      // The broken connection was dropped from the pool: the next work gets a good one.
      await expect(database.all(one)).resolves.toEqual([{ one: 1 }]);
    } finally {
      proxy.setMode('pass');
      await database.close();
      await proxy.close();
    }
  });

  test('credential additions and deletions racing through separate pools respect the limits', async () => {
    const schema = freshSchema();
    const a = await openStores({ connectionString: databaseUrl, schema, poolSize: 4 });
    const b = await openStores({ connectionString: databaseUrl, schema, poolSize: 4 });
    try {
      const scope = await a.scopes.createScope(newScope());
      for (let round = 0; round < 3; round += 1) await expectLimitsHoldAcrossStores(a.accounts, b.accounts, scope.scope_id, `racer${round}`);
    } finally {
      await a.database.close();
      await b.database.close();
    }
  });

  test('unsafe schema names are refused before connecting', async () => {
    for (const schema of ['Public', 'a-b', 'x;drop', '1abc', 'pg_catalog', '', 'a'.repeat(64)]) {
      await expect(openStores({ connectionString: databaseUrl, schema })).rejects.toThrow(RangeError);
    }
  });
});

describe('PostgreSQL database against an unreachable server', () => {
  test('open rejects promptly with the connection error', async () => {
    const started = Date.now();
    await expect(
      openStores({ connectionString: 'postgres://postgres@127.0.0.1:1/test' }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
