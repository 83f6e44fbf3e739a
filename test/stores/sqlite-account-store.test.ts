import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteAccountStore } from '../../src/stores/sqlite-account-store.js';
import { newAccount, newCredential, newScope } from './account-store.contract.js';

describe('SqliteAccountStore specifics', () => {
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
    const first = new SqliteAccountStore(file);
    const scope = await first.createScope(newScope());
    await first.close();
    const second = new SqliteAccountStore(file);
    await expect(second.getScope(scope.scope_id)).resolves.toStrictEqual(scope);
    await second.close();

    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.prepare('SELECT id, name FROM schema_migrations').all()).toEqual([
        { id: 1, name: 'scopes_accounts_credentials' },
      ]);
    } finally {
      raw.close();
    }
  });

  test('two stores on one file (as two processes would be) still admit one username once', async () => {
    const a = new SqliteAccountStore(file);
    const b = new SqliteAccountStore(file);
    try {
      const scope = await a.createScope(newScope());
      const attempts = [a, b, a, b].map((store, i) => {
        const account = newAccount(scope.scope_id, 'shared');
        return store.createAccountWithCredential(account, newCredential(account, `cred-${i}`));
      });
      const results = await Promise.all(attempts);
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      // A scope written through one connection is visible through the other.
      await expect(b.scopesVersion()).resolves.toBe(await a.scopesVersion());
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("':memory:' works for throwaway use", async () => {
    const store = new SqliteAccountStore(':memory:');
    try {
      await expect(store.listScopes()).resolves.toEqual([]);
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });

  test('foreign keys are enforced: deleting an account removes its credentials', async () => {
    const store = new SqliteAccountStore(file);
    const scope = await store.createScope(newScope());
    const account = newAccount(scope.scope_id, 'judy');
    await store.createAccountWithCredential(account, newCredential(account, 'cred-judy'));
    await store.close();

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
