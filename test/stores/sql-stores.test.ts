import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { sqlStores } from '../../src/stores/open-stores.js';
import { openPostgresDatabase } from '../../src/sql/postgres-database.js';
import { openSqliteDatabase } from '../../src/sql/sqlite-database.js';
import { databaseUrl, describeWithPostgres } from '../support/backends.js';
import { dropSchemas } from '../support/postgres-schemas.js';
import { runAccountStoreContract } from './account-store.contract.js';
import { runApiKeyStoreContract } from './api-key-store.contract.js';
import { runAuditLogStoreContract } from './audit-log-store.contract.js';
import { runDelegateStoreContract } from './delegate-store.contract.js';
import { runScopeStoreContract } from './scope-store.contract.js';
import { runSessionStoreContract } from './session-store.contract.js';
import { runTokenStoreContract } from './token-store.contract.js';
import { runWebhookStoreContract } from './webhook-store.contract.js';
import type { SqlStoresHarness } from './sql-fixtures.js';
import { migrations } from '../../src/stores/migrations.js';

/** Every SQL store's contract, on one backend. */
function runSqlStoreContracts(name: string, makeStores: () => Promise<SqlStoresHarness> | SqlStoresHarness): void {
  runScopeStoreContract(name, makeStores);
  runAccountStoreContract(name, makeStores);
  runAuditLogStoreContract(name, makeStores);
  runSessionStoreContract(name, makeStores);
  runDelegateStoreContract(name, makeStores);
  runApiKeyStoreContract(name, makeStores);
  runTokenStoreContract(name, makeStores);
  runWebhookStoreContract(name, makeStores);
}

runSqlStoreContracts('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkgw-sqlite-'));
  const file = join(dir, 'accounts.db');
  const database = openSqliteDatabase(file, { migrations });
  return {
    ...sqlStores(database),
    database,
    deleteCredentialsOf: (accountId) => {
      const db = new Database(file);
      try {
        db.prepare('DELETE FROM credentials WHERE account_id = ?').run(accountId);
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
    cleanup: async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeWithPostgres('PostgreSQL', () => {
  // Each harness gets an empty schema named after this run; afterAll drops any the tests left.
  const runSchema = `pkgw_test_${randomBytes(6).toString('hex')}`;
  let admin: pg.Pool;
  let schemaCount = 0;

  beforeAll(() => {
    admin = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  });

  afterAll(async () => {
    await dropSchemas(admin, runSchema);
    await admin.end();
  });

  runSqlStoreContracts('PostgreSQL', async () => {
    schemaCount += 1;
    const schema = `${runSchema}_${schemaCount}`;
    const database = await openPostgresDatabase({ migrations, connectionString: databaseUrl, schema });
    return {
      ...sqlStores(database),
      database,
      deleteCredentialsOf: async (accountId) => {
        await admin.query(`DELETE FROM "${schema}".credentials WHERE account_id = $1`, [accountId]);
      },
      cleanup: async () => {
        await database.close();
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      },
    };
  });
});
