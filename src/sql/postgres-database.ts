import { createHash } from 'node:crypto';
import pg from 'pg';
import { postgres } from './dialect.js';
import { schemaMigrationsTable, type Migration } from './migration.js';
import { sqlDatabase, type SqlDatabase, type SqlDriver } from './sql-database.js';
import type { Compiled } from './statement.js';

export interface PostgresOptions {
  connectionString: string;
  /** The schema's migrations, applied at open (those not applied yet). */
  migrations: readonly Migration[];
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

// Writers of one kind (`serialize`) queue on this lock, per schema, until their transaction ends.
const serializeWrites = {
  name: 'pkgw_serialize_writes',
  text: "SELECT pg_advisory_xact_lock(hashtextextended('passkey-gateway:' || $1 || ':' || coalesce(current_schema(), ''), 0))",
};

/**
 * PostgreSQL through a pg pool, shared by any number of gateway processes. Every statement is
 * prepared under its name, once per pooled connection. Connectivity errors (refused, terminated,
 * pool timeout) are thrown unchanged for the caller to map to service_unavailable.
 */
export async function openPostgresDatabase(options: PostgresOptions): Promise<SqlDatabase> {
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
    await migrate(pool, schema, options.migrations);
  } catch (error) {
    await pool.end();
    throw error;
  }
  // PostgreSQL cuts prepared-statement names at 63 bytes, and two long names alike in their first 63
  // would name one statement: a long name is replaced by a digest of itself.
  const preparedNames = new Map<Compiled, string>();
  const preparedName = (compiled: Compiled) => {
    let name = preparedNames.get(compiled);
    if (name === undefined) {
      name = `pkgw_${compiled.name}`;
      if (name.length > 63) name = `pkgw_${compiled.name.slice(0, 24)}_${createHash('sha256').update(compiled.name).digest('hex').slice(0, 32)}`;
      preparedNames.set(compiled, name);
    }
    return name;
  };
  const query = async (client: pg.Pool | pg.PoolClient, compiled: Compiled, values: unknown[]) => {
    const result = await client.query({ name: preparedName(compiled), text: compiled.text, values });
    return { rows: result.rows, changes: result.rowCount ?? 0 };
  };
  let closed = false;
  const driver: SqlDriver = {
    dialect: postgres,
    execute: (compiled, values) => query(pool, compiled, values),
    transaction: (work, serialize) =>
      withTransaction(pool, async (client) => {
        if (serialize !== undefined) await client.query({ ...serializeWrites, values: [serialize] });
        return work((compiled, values) => query(client, compiled, values));
      }),
    ping: async () => void (await pool.query('SELECT 1')),
    async close() {
      // pg throws if end() is called twice.
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
  return sqlDatabase(driver);
}

/**
 * Applies pending migrations in one transaction. The advisory lock (per schema) makes processes
 * that start together queue up: the first migrates, the rest find everything applied.
 */
async function migrate(pool: pg.Pool, schema: string | undefined, migrations: readonly Migration[]): Promise<void> {
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
    await run(schemaMigrationsTable(postgres));
    const applied = new Set((await run<{ id: number }>('SELECT id FROM schema_migrations')).rows.map((row) => row.id));
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      await run(migration.sql(postgres));
      await run('INSERT INTO schema_migrations (id, name, applied_at) VALUES ($1, $2, now())', [migration.id, migration.name]);
    }
  });
}

async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // When ROLLBACK itself fails the connection is unusable; releasing with an error destroys it.
  let broken: Error | undefined;
  // A connection that fails while checked out emits 'error' on its client, which the pool listens
  // for only while the client is idle: unheard, it would end the process. The query under way
  // rejects on its own; the connection is marked broken so the pool drops it.
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
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
    client.removeListener('error', onError);
    client.release(broken);
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
