import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresAccountStore } from '../../src/stores/postgres-account-store.js';
import { databaseUrl, describeWithPostgres } from '../support/backends.js';
import { dropSchemas } from '../support/postgres-schemas.js';
import { newAccount, newCredential, newScope } from './account-store.contract.js';

describeWithPostgres('PostgresAccountStore specifics', () => {
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
      Array.from({ length: 5 }, () => PostgresAccountStore.open({ connectionString: databaseUrl, schema, poolSize: 2 })),
    );
    try {
      const migrations = await admin.query(`SELECT id, name FROM "${schema}".schema_migrations`);
      expect(migrations.rows).toEqual([{ id: 1, name: 'scopes_accounts_credentials' }]);
      await Promise.all(stores.map((store) => store.ping()));
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  test('tables live in the configured schema only', async () => {
    const schema = freshSchema();
    const store = await PostgresAccountStore.open({ connectionString: databaseUrl, schema });
    try {
      const tables = await admin.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      expect(tables.rows.map((row) => row.table_name)).toEqual(['accounts', 'credentials', 'schema_migrations', 'scopes']);
    } finally {
      await store.close();
    }
  });

  test('registrations racing through separate pools: exactly one per username', async () => {
    const schema = freshSchema();
    const a = await PostgresAccountStore.open({ connectionString: databaseUrl, schema, poolSize: 5 });
    const b = await PostgresAccountStore.open({ connectionString: databaseUrl, schema, poolSize: 5 });
    try {
      const scope = await a.createScope(newScope());
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => {
          const account = newAccount(scope.scope_id, 'mallory');
          return (i % 2 === 0 ? a : b).createAccountWithCredential(account, newCredential(account, `cred-${i}`));
        }),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      expect(results.filter((result) => !result.ok && result.conflict === 'account_exists')).toHaveLength(9);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('concurrent scope writes from two pools get distinct, ordered revisions', async () => {
    const schema = freshSchema();
    const a = await PostgresAccountStore.open({ connectionString: databaseUrl, schema, poolSize: 4 });
    const b = await PostgresAccountStore.open({ connectionString: databaseUrl, schema, poolSize: 4 });
    try {
      const scope = await a.createScope(newScope());
      await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).updateScope(scope.scope_id, { name: `n${i}` })),
      );
      await expect(a.scopesVersion()).resolves.toBe('1:9');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('unsafe schema names are refused before connecting', async () => {
    for (const schema of ['Public', 'a-b', 'x;drop', '1abc', 'pg_catalog', '', 'a'.repeat(64)]) {
      await expect(PostgresAccountStore.open({ connectionString: databaseUrl, schema })).rejects.toThrow(RangeError);
    }
  });
});

describe('PostgresAccountStore against an unreachable server', () => {
  test('open rejects promptly with the connection error', async () => {
    const started = Date.now();
    await expect(
      PostgresAccountStore.open({ connectionString: 'postgres://postgres@127.0.0.1:1/test' }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
