import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sqlStores } from '../../src/stores/open-stores.js';
import { sqlite } from '../../src/sql/dialect.js';
import { schemaMigrationsTable } from '../../src/sql/migration.js';
import { migrations as gatewayMigrations } from '../../src/stores/migrations.js';
import { openSqliteDatabase } from '../../src/sql/sqlite-database.js';
import { appliedMigrations, newAccount, newCredential, newScope } from './sql-fixtures.js';
import { expectLimitsHoldAcrossStores } from './cross-store-races.case.js';
import { expectUpgradedFromMigrationOne } from './migration-upgrade.case.js';

/** The SQL stores over a SQLite file, as one process would open them. */
function openStores(filename: string) {
  const database = openSqliteDatabase(filename, { migrations: gatewayMigrations });
  return { ...sqlStores(database), database };
}

describe('SQLite database specifics', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pkgw-sqlite-'));
    file = join(dir, 'accounts.db');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('the file is in WAL mode with the schema migrated once, across reopening', async () => {
    const first = openStores(file);
    const scope = await first.scopes.createScope(newScope());
    await first.database.close();
    const second = openStores(file);
    await expect(second.scopes.getScope(scope.scope_id)).resolves.toStrictEqual(scope);
    await second.database.close();

    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.prepare('SELECT id, name FROM schema_migrations ORDER BY id').all()).toEqual(appliedMigrations);
    } finally {
      raw.close();
    }
  });

  test('two stores on one file (as two processes would be) still admit one username once', async () => {
    const a = openStores(file);
    const b = openStores(file);
    try {
      const scope = await a.scopes.createScope(newScope());
      const attempts = [a, b, a, b].map((store, i) => {
        const account = newAccount(scope.scope_id, 'shared');
        return store.accounts.createAccountWithCredential(account, newCredential(account, `cred-${i}`));
      });
      const results = await Promise.all(attempts);
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      // A scope written through one connection is visible through the other.
      await expect(b.scopes.scopesVersion()).resolves.toBe(await a.scopes.scopesVersion());
    } finally {
      await a.database.close();
      await b.database.close();
    }
  });

  test('migration 2 upgrades a file that only had migration 1, keeping its rows', async () => {
    const raw = new Database(file);
    try {
      raw.exec(schemaMigrationsTable(sqlite));
      const [first] = gatewayMigrations;
      raw.exec(first!.sql(sqlite));
      raw.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(1, first!.name, '2025-01-01T00:00:00.000Z');
      raw
        .prepare(
          `INSERT INTO scopes (scope_id, name, rp_id, rp_name, origins, user_verification, attestation, resident_key,
                               timeout_ms, algorithms, created_at, updated_at, revision)
           VALUES ('old-scope', 'Old', 'example.com', 'Old', '["https://example.com"]', 'required', 'none', 'preferred',
                   300000, '[-7]', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', 1)`,
        )
        .run();
      raw
        .prepare(
          `INSERT INTO accounts (account_id, scope_id, username, display_name, user_handle, identifier_hash, created_at)
           VALUES ('old-account', 'old-scope', 'olga', 'Olga', 'aGFuZGxl', 'hash-olga', '2025-01-01T00:00:01.000Z')`,
        )
        .run();
      raw
        .prepare(
          `INSERT INTO credentials (credential_id, scope_id, account_id, public_key, algorithm, counter, transports,
                                    aaguid, device_type, backed_up, created_at)
           VALUES ('old-cred', 'old-scope', 'old-account', 'cGs', -7, 3, '["usb"]', 'aaguid', 'singleDevice', 0,
                   '2025-01-01T00:00:02.000Z')`,
        )
        .run();
    } finally {
      raw.close();
    }

    const store = openStores(file);
    try {
      await expectUpgradedFromMigrationOne(store);
    } finally {
      await store.database.close();
    }
    const check = new Database(file, { readonly: true });
    try {
      expect(check.prepare('SELECT id FROM schema_migrations ORDER BY id').all()).toEqual(appliedMigrations.map(({ id }) => ({ id })));
    } finally {
      check.close();
    }
  });

  test('two stores on one file: credential additions and deletions still respect the limits', async () => {
    const a = openStores(file);
    const b = openStores(file);
    try {
      const scope = await a.scopes.createScope(newScope());
      await expectLimitsHoldAcrossStores(a.accounts, b.accounts, scope.scope_id, 'shared');
    } finally {
      await a.database.close();
      await b.database.close();
    }
  });

  test("':memory:' works for throwaway use", async () => {
    const store = openStores(':memory:');
    try {
      await expect(store.scopes.listScopes()).resolves.toEqual([]);
      await expect(store.database.ping()).resolves.toBeUndefined();
    } finally {
      await store.database.close();
    }
  });

  test('foreign keys are enforced: deleting an account removes its credentials', async () => {
    const store = openStores(file);
    const scope = await store.scopes.createScope(newScope());
    const account = newAccount(scope.scope_id, 'judy');
    await store.accounts.createAccountWithCredential(account, newCredential(account, 'cred-judy'));
    await store.database.close();

    const raw = new Database(file);
    try {
      raw.pragma('foreign_keys = ON');
      raw.prepare('DELETE FROM accounts WHERE account_id = ?').run(account.account_id);
      expect(raw.prepare('SELECT count(*) AS n FROM credentials').get()).toEqual({ n: 0 });
    } finally {
      raw.close();
    }
  });
});
