/**
 * Behaviour every DelegateStore must have, run unchanged against each SQL backend (see sql-stores.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { DelegateKey } from '../../src/domain/delegate-key.js';
import type { NewAuditEvent } from '../../src/domain/audit-event.js';
import { newAccount, newCredential, newScope, type SqlStoresHarness } from './sql-fixtures.js';

export function runDelegateStoreContract(name: string, makeStores: () => Promise<SqlStoresHarness> | SqlStoresHarness): void {
  describe(`${name} (DelegateStore contract)`, () => {
    let harness: SqlStoresHarness;
    let scopeId: string;

    beforeEach(async () => {
      harness = await makeStores();
      scopeId = (await harness.scopes.createScope(newScope())).scope_id;
    });
    afterEach(() => harness.cleanup());

    const key = (keyId: string = randomUUID()): DelegateKey => ({ scope_id: scopeId, key_id: keyId, public_key: `spki-${keyId}`, name: null, created_at: '2025-01-02T03:04:05.678Z' });
    const audit = (event: NewAuditEvent['event']): NewAuditEvent => ({
      scope_id: scopeId, occurred_at: '2025-01-02T03:04:05.678Z', event, account_id: null, credential_id: null, reason: null, client_ip: null, request_id: null, delegate_key_id: 'k',
    });
    const events = async () => (await harness.auditLog.listAuditEvents(scopeId, { limit: 100 })).map((event) => [event.event, event.delegate_key_id]);

    it('should add, list, get and remove keys, each change with its audit event', async () => {
      const first = key('k1');
      expect(await harness.delegates.addDelegateKey(first, 5, audit('delegate_key_added'))).toEqual({ ok: true, key: first });
      expect(await harness.delegates.addDelegateKey(first, 5)).toEqual({ ok: false, conflict: 'delegate_key_exists' });
      expect(await harness.delegates.listDelegateKeys(scopeId)).toEqual([first]);
      expect(await harness.delegates.getDelegateKey(scopeId, 'k1')).toEqual(first);
      expect(await harness.delegates.getDelegateKey(randomUUID(), 'k1')).toBeNull();
      expect(await harness.delegates.removeDelegateKey(scopeId, 'k1', audit('delegate_key_removed'))).toBe(true);
      expect(await harness.delegates.removeDelegateKey(scopeId, 'k1', audit('delegate_key_removed'))).toBe(false);
      expect(await events()).toEqual([['delegate_key_added', 'k'], ['delegate_key_removed', 'k']]);
    });

    it('should refuse a key for a scope that does not exist, and more keys than the limit', async () => {
      expect(await harness.delegates.addDelegateKey({ ...key(), scope_id: randomUUID() }, 5)).toEqual({ ok: false, conflict: 'scope_not_found' });
      await harness.delegates.addDelegateKey(key(), 2);
      await harness.delegates.addDelegateKey(key(), 2);
      expect(await harness.delegates.addDelegateKey(key(), 2, audit('delegate_key_added'))).toEqual({ ok: false, conflict: 'too_many_delegate_keys' });
      expect(await events()).toEqual([]);
    });

    it('should create an account without a passkey, with the key that created it, all or nothing', async () => {
      const account = newAccount(scopeId, 'delegated');
      expect(await harness.delegates.createDelegatedAccount(account, 'k1', { ...audit('delegated_registration'), account_id: account.account_id })).toEqual({ ok: true, account });
      expect(await harness.delegates.findDelegatedAccount(scopeId, 'delegated', 'k1')).toEqual(account);
      expect(await harness.delegates.findDelegatedAccount(scopeId, 'delegated', 'k2')).toBeNull();
      // A username taken (by a passkey account or a delegated one) is a conflict, and nothing is written.
      const passkeyAccount = newAccount(scopeId, 'passkey');
      await harness.accounts.createAccountWithCredential(passkeyAccount, newCredential(passkeyAccount, 'c1'));
      const again = newAccount(scopeId, 'delegated');
      expect(await harness.delegates.createDelegatedAccount(again, 'k1', audit('delegated_registration'))).toEqual({ ok: false, conflict: 'account_exists' });
      expect(await harness.accounts.getAccount(again.account_id)).toBeNull();
      expect(await harness.delegates.findDelegatedAccount(scopeId, 'passkey', 'k1')).toBeNull();
      expect(await events()).toEqual([['delegated_registration', 'k']]);
    });

    it('should record each key signature once, in any scope, and sweep the expired', async () => {
      const use = { digest: randomUUID(), scope_id: scopeId, expires_at: '2025-01-02T03:10:00.000Z' };
      expect(await harness.delegates.useKeySignature(use, '2025-01-02T03:05:00.000Z')).toBe(true);
      expect(await harness.delegates.useKeySignature(use, '2025-01-02T03:06:00.000Z')).toBe(false);
      expect(await harness.delegates.useKeySignature({ ...use, scope_id: randomUUID() }, '2025-01-02T03:06:00.000Z')).toBe(false);
      // Once it has expired, a later use sweeps it (the signature itself is refused as expired before that).
      await harness.delegates.useKeySignature({ ...use, digest: randomUUID() }, '2025-01-02T03:11:00.000Z');
      expect(await harness.delegates.useKeySignature(use, '2025-01-02T03:11:00.000Z')).toBe(true);
    });
  });
}
