import Database from 'better-sqlite3';
import { sqlite, type SqlValue } from './dialect.js';
import { schemaMigrationsTable, type Migration } from './migration.js';
import { makeDatabaseFilesPrivate } from './private-database-file.js';
import { sqlDatabase, type Row, type SqlDatabase } from './sql-database.js';
import type { Compiled } from './statement.js';

export interface SqliteOptions {
  /** The schema's migrations, applied at open (those not applied yet). */
  migrations: readonly Migration[];
  /** How long a write waits for another connection's lock before failing with SQLITE_BUSY. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/**
 * One SQLite file, for single-host deployments: WAL (readers proceed while one writer commits),
 * foreign keys on, files private to this user. better-sqlite3 is one synchronous connection, so a
 * transaction spanning awaits holds it: transactions queue, and a statement arriving while one is
 * queued or open waits its turn. Across connections `BEGIN IMMEDIATE` serializes writers; a lock
 * held elsewhere is waited for asynchronously, since the holder may be a connection of this very
 * process that needs the event loop to finish.
 */
export function openSqliteDatabase(filename: string, options: SqliteOptions): SqlDatabase {
  const busyTimeoutMs = Math.trunc(options.busyTimeoutMs ?? 5000);
  if (filename !== ':memory:' && filename !== '') makeDatabaseFilesPrivate(filename);
  const db = new Database(filename, { timeout: busyTimeoutMs });
  let ping: Database.Statement;
  try {
    db.pragma('journal_mode = WAL');
    // Off per connection by default.
    db.pragma('foreign_keys = ON');
    migrate(db, options.migrations);
    // From here on SQLite never sleeps on a lock: untilFree waits without blocking the event loop.
    db.pragma('busy_timeout = 0');
    ping = db.prepare('SELECT 1');
  } catch (error) {
    db.close();
    throw error;
  }

  const prepared = new Map<Compiled, Database.Statement>();
  const step = (compiled: Compiled, values: SqlValue[]): { rows: Row[]; changes: number } => {
    let statement = prepared.get(compiled);
    if (statement === undefined) prepared.set(compiled, (statement = db.prepare(compiled.text)));
    if (statement.reader) return { rows: statement.all(...values) as Row[], changes: 0 };
    return { rows: [], changes: statement.run(...values).changes };
  };
  const untilFree = async <T>(attempt: () => T): Promise<T> => {
    const deadline = Date.now() + busyTimeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      try {
        return attempt();
      } catch (error) {
        if (!isBusy(error) || Date.now() + wait > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  };
  let tail: Promise<unknown> = Promise.resolve();
  let queued = 0;
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    queued += 1;
    const result = tail.then(work).finally(() => void (queued -= 1));
    tail = result.catch(() => {});
    return result;
  };

  return sqlDatabase({
    dialect: sqlite,
    async execute(compiled, values) {
      if (queued === 0) {
        try {
          return step(compiled, values);
        } catch (error) {
          if (!isBusy(error)) throw error;
        }
      }
      return exclusive(() => untilFree(() => step(compiled, values)));
    },
    // BEGIN IMMEDIATE serializes every writer, so writes of one kind (`serialize`) need nothing more.
    transaction: (work) =>
      exclusive(async () => {
        // IMMEDIATE takes the write lock up front instead of upgrading a read later, which could
        // fail with SQLITE_BUSY between two connections that both started reading.
        await untilFree(() => db.exec('BEGIN IMMEDIATE'));
        try {
          const result = await work(async (compiled, values) => step(compiled, values));
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      }),
    ping: async () => void ping.get(),
    close: async () => {
      if (db.open) db.close();
    },
  });
}

function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  db.transaction(() => {
    db.exec(schemaMigrationsTable(sqlite));
    const applied = new Set((db.prepare('SELECT id FROM schema_migrations').all() as Array<{ id: number }>).map((row) => row.id));
    const record = db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of migrations) {
      if (applied.has(migration.id)) continue;
      db.exec(migration.sql(sqlite));
      record.run(migration.id, migration.name, new Date().toISOString());
    }
  }).immediate();
}

function isBusy(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}
