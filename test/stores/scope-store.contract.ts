/**
 * Behaviour every ScopeStore must have, run unchanged against each SQL backend (see sql-stores.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ScopeStore } from '../../src/stores/scope-store.js';
import { newScope, type SqlStoresHarness } from './sql-fixtures.js';

const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function runScopeStoreContract(name: string, makeStores: () => Promise<SqlStoresHarness> | SqlStoresHarness): void {
  describe(`${name} (ScopeStore contract)`, () => {
    let harness: SqlStoresHarness;
    let scopes: ScopeStore;

    beforeEach(async () => {
      harness = await makeStores();
      ({ scopes } = harness);
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    describe('scopes', () => {
      test('createScope stores the zod defaults and stamps both timestamps', async () => {
        const input = newScope();
        const created = await scopes.createScope(input);
        expect(created).toStrictEqual({
          ...input,
          user_verification: 'required',
          attestation: 'none',
          resident_key: 'preferred',
          timeout_ms: 300_000,
          algorithms: [-8, -7, -257],
          session_ttl: 3600,
          rate_limit_ip_per_minute: null,
          rate_limit_user_per_minute: null,
          rp_name: 'Example',
          created_at: created.created_at,
          updated_at: created.created_at,
        });
        expect(created.created_at).toMatch(isoTimestamp);
        await expect(scopes.getScope(input.scope_id)).resolves.toStrictEqual(created);
      });

      test('createScope keeps explicit settings', async () => {
        const input = newScope({
          rp_name: 'Example RP',
          origins: ['https://a.example.com', 'http://localhost:8080'],
          user_verification: 'discouraged',
          attestation: 'direct',
          resident_key: 'required',
          timeout_ms: 60_000,
          algorithms: [-7],
          session_ttl: 86_400,
          rate_limit_ip_per_minute: 0,
          rate_limit_user_per_minute: 5,
        });
        const created = await scopes.createScope(input);
        expect(created).toStrictEqual({ ...input, created_at: created.created_at, updated_at: created.updated_at });
      });

      test('getScope and updateScope of an unknown id are null', async () => {
        await expect(scopes.getScope(randomUUID())).resolves.toBeNull();
        await expect(scopes.updateScope(randomUUID(), { name: 'x' })).resolves.toBeNull();
      });

      test('listScopes returns every scope', async () => {
        await expect(scopes.listScopes()).resolves.toEqual([]);
        const a = await scopes.createScope(newScope({ name: 'A' }));
        const b = await scopes.createScope(newScope({ name: 'B' }));
        const listed = await scopes.listScopes();
        const byId = (x: { scope_id: string }, y: { scope_id: string }) => x.scope_id.localeCompare(y.scope_id);
        expect([...listed].sort(byId)).toStrictEqual([a, b].sort(byId));
      });

      test('updateScope changes only the given fields and keeps created_at', async () => {
        const created = await scopes.createScope(newScope());
        const updated = await scopes.updateScope(created.scope_id, {
          name: 'Renamed',
          origins: ['https://new.example.com'],
          algorithms: [-257],
        });
        expect(updated).toStrictEqual({
          ...created,
          name: 'Renamed',
          origins: ['https://new.example.com'],
          algorithms: [-257],
          updated_at: updated?.updated_at,
        });
        expect(updated!.updated_at >= created.updated_at).toBe(true);
        await expect(scopes.getScope(created.scope_id)).resolves.toStrictEqual(updated);
      });

      test('updateScope changes session_ttl alone', async () => {
        const created = await scopes.createScope(newScope());
        const updated = await scopes.updateScope(created.scope_id, { session_ttl: 900 });
        expect(updated).toStrictEqual({ ...created, session_ttl: 900, updated_at: updated?.updated_at });
        await expect(scopes.getScope(created.scope_id)).resolves.toMatchObject({ session_ttl: 900 });
        await expect(scopes.listScopes()).resolves.toMatchObject([{ session_ttl: 900 }]);
      });

      test('scopesVersion is null when empty and changes on every write, even within a millisecond', async () => {
        await expect(scopes.scopesVersion()).resolves.toBeNull();
        const scope = await scopes.createScope(newScope());
        const versions = [await scopes.scopesVersion()];
        await scopes.updateScope(scope.scope_id, { name: 'one' });
        versions.push(await scopes.scopesVersion());
        await scopes.updateScope(scope.scope_id, { name: 'two' });
        versions.push(await scopes.scopesVersion());
        await scopes.updateScope(scope.scope_id, {});
        versions.push(await scopes.scopesVersion());
        await scopes.createScope(newScope());
        versions.push(await scopes.scopesVersion());
        expect(versions.every((v) => typeof v === 'string')).toBe(true);
        expect(new Set(versions).size).toBe(versions.length);
        // Unchanged data, unchanged version: pollers must not see phantom changes.
        await expect(scopes.scopesVersion()).resolves.toBe(versions.at(-1));
      });
    });
  });
}
