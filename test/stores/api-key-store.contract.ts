/**
 * Behaviour every ApiKeyStore must have, run unchanged against each SQL backend (see sql-stores.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ApiKey } from '../../src/domain/api-key.js';
import type { NewAuditEvent } from '../../src/domain/audit-event.js';
import { newScope, type SqlStoresHarness } from './sql-fixtures.js';

export function runApiKeyStoreContract(name: string, makeStores: () => Promise<SqlStoresHarness> | SqlStoresHarness): void {
  describe(`${name} (ApiKeyStore contract)`, () => {
    let harness: SqlStoresHarness;
    let scopeId: string;

    beforeEach(async () => {
      harness = await makeStores();
      scopeId = (await harness.scopes.createScope(newScope())).scope_id;
    });
    afterEach(() => harness.cleanup());

    const key = (overrides: Partial<ApiKey> = {}): ApiKey => ({
      key_id: randomUUID(),
      scope_id: scopeId,
      name: 'backend',
      secret_hash: randomUUID(),
      created_at: '2025-01-02T03:04:05.678Z',
      revoked_at: null,
      ...overrides,
    });
    const audit = (event: NewAuditEvent['event'], apiKeyId: string): NewAuditEvent => ({
      scope_id: scopeId, occurred_at: '2025-01-02T03:04:05.678Z', event, account_id: null, credential_id: null, reason: 'cli', client_ip: null, request_id: null, api_key_id: apiKeyId,
    });
    const events = async () => (await harness.auditLog.listAuditEvents(scopeId, { limit: 100 })).map((event) => [event.event, event.api_key_id]);

    it('should create, find by secret hash, list and revoke keys, each change with its audit event', async () => {
      const first = key({ name: 'first' });
      expect(await harness.apiKeys.createApiKey(first, 5, audit('api_key_created', first.key_id))).toEqual({ ok: true, key: first });
      expect(await harness.apiKeys.findActiveApiKey(first.secret_hash)).toEqual(first);
      expect(await harness.apiKeys.findActiveApiKey('no such hash')).toBeNull();
      expect(await harness.apiKeys.listApiKeys(scopeId)).toEqual([first]);

      expect(await harness.apiKeys.revokeApiKey(scopeId, first.key_id, '2025-02-01T00:00:00.000Z', audit('api_key_revoked', first.key_id))).toBe(true);
      // A revoked key is found no more, is listed with its revocation time, and cannot be revoked twice.
      expect(await harness.apiKeys.findActiveApiKey(first.secret_hash)).toBeNull();
      expect(await harness.apiKeys.listApiKeys(scopeId)).toEqual([{ ...first, revoked_at: '2025-02-01T00:00:00.000Z' }]);
      expect(await harness.apiKeys.revokeApiKey(scopeId, first.key_id, '2025-02-02T00:00:00.000Z', audit('api_key_revoked', first.key_id))).toBe(false);
      expect(await events()).toEqual([['api_key_created', first.key_id], ['api_key_revoked', first.key_id]]);
    });

    it('should revoke a key only through its own scope', async () => {
      const own = key();
      await harness.apiKeys.createApiKey(own, 5);
      const other = (await harness.scopes.createScope(newScope())).scope_id;
      expect(await harness.apiKeys.revokeApiKey(other, own.key_id, '2025-02-01T00:00:00.000Z')).toBe(false);
      expect(await harness.apiKeys.findActiveApiKey(own.secret_hash)).toEqual(own);
      expect(await harness.apiKeys.listApiKeys(other)).toEqual([]);
    });

    it('should refuse a key for a scope that does not exist, and more working keys than the limit (revoked ones do not count)', async () => {
      expect(await harness.apiKeys.createApiKey(key({ scope_id: randomUUID() }), 5)).toEqual({ ok: false, conflict: 'scope_not_found' });
      const first = key();
      await harness.apiKeys.createApiKey(first, 2);
      await harness.apiKeys.createApiKey(key(), 2);
      const refused = key();
      expect(await harness.apiKeys.createApiKey(refused, 2, audit('api_key_created', refused.key_id))).toEqual({ ok: false, conflict: 'too_many_api_keys' });
      expect(await harness.apiKeys.findActiveApiKey(refused.secret_hash)).toBeNull();
      expect(await events()).toEqual([]);
      await harness.apiKeys.revokeApiKey(scopeId, first.key_id, '2025-02-01T00:00:00.000Z');
      expect((await harness.apiKeys.createApiKey(key(), 2)).ok).toBe(true);
    });

    it('should keep the limit under concurrent creations', async () => {
      const results = await Promise.all(Array.from({ length: 6 }, () => harness.apiKeys.createApiKey(key(), 3)));
      expect(results.filter((result) => result.ok)).toHaveLength(3);
      expect(await harness.apiKeys.listApiKeys(scopeId)).toHaveLength(3);
    });
  });
}
