import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresAccountStore } from '../../src/stores/postgres-account-store.js';
import { SqliteAccountStore } from '../../src/stores/sqlite-account-store.js';
import { databaseUrl, describeWithPostgres } from '../support/backends.js';
import { dropSchemas } from '../support/postgres-schemas.js';
import { runAccountStoreContract } from './account-store.contract.js';

runAccountStoreContract('SqliteAccountStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkgw-sqlite-'));
  const file = join(dir, 'accounts.db');
  const store = new SqliteAccountStore(file);
  return {
    store,
    deleteCredentialsOf: async (accountId) => {
      const db = new Database(file);
      try {
        db.prepare('DELETE FROM credentials WHERE account_id = ?').run(accountId);
      } finally {
        db.close();
      }
    },
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeWithPostgres('PostgresAccountStore', () => {
  // Each store gets an empty schema named after this run; afterAll drops any the tests left.
  const runSchema = `pkgw_test_${randomBytes(6).toString('hex')}`;
  let admin: pg.Pool;
  let storeCount = 0;

  beforeAll(() => {
    admin = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  });

  afterAll(async () => {
    await dropSchemas(admin, runSchema);
    await admin.end();
  });

  runAccountStoreContract('PostgresAccountStore', async () => {
    storeCount += 1;
    const schema = `${runSchema}_${storeCount}`;
    const store = await PostgresAccountStore.open({ connectionString: databaseUrl, schema });
    return {
      store,
      deleteCredentialsOf: async (accountId) => {
        await admin.query(`DELETE FROM "${schema}".credentials WHERE account_id = $1`, [accountId]);
      },
      cleanup: async () => {
        await store.close();
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      },
    };
  });
});
