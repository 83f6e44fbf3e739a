/**
 * Behaviour every AuditLogStore, and every change that carries audit events, must have, run unchanged against each SQL backend (see sql-stores.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Account } from '../../src/domain/account.js';
import type { AuditEventName } from '../../src/domain/audit-event.js';
import type { AccountStore } from '../../src/stores/account-store.js';
import type { AuditLogStore } from '../../src/stores/audit-log-store.js';
import type { ScopeStore } from '../../src/stores/scope-store.js';
import type { SessionStore } from '../../src/stores/session-store.js';
import { newAccount, newCredential, newScope, type SqlStoresHarness } from './sql-fixtures.js';
import { recordSignIn } from '../../src/authentication/sign-in-rule.js';

export function runAuditLogStoreContract(name: string, makeStores: () => Promise<SqlStoresHarness> | SqlStoresHarness): void {
  describe(`${name} (AuditLogStore contract)`, () => {
    let harness: SqlStoresHarness;
    let scopes: ScopeStore;
    let accounts: AccountStore;
    let auditLog: AuditLogStore;
    let sessions: SessionStore;

    beforeEach(async () => {
      harness = await makeStores();
      ({ scopes, accounts, auditLog, sessions } = harness);
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    describe('audit log', () => {
      const event = (scopeId: string, n: number, occurredAt: string) => ({
        scope_id: scopeId,
        occurred_at: occurredAt,
        event: 'sign_in_failed' as const,
        account_id: `account-${n}`,
        credential_id: null,
        reason: 'verification_failed',
        client_ip: '192.0.2.1',
        request_id: `request-${n}`,
        chain_id: null,
        signed_digest: null,
        delegate_key_id: null,
        api_key_id: null,
        identifier_hash: null,
        webhook_id: null,
      });

      test('appends events and lists one scope\'s in insertion order with growing ids', async () => {
        const a = await scopes.createScope(newScope());
        const b = await scopes.createScope(newScope());
        await auditLog.appendAuditEvent(event(a.scope_id, 1, '2025-01-01T00:00:02.000Z'));
        await auditLog.appendAuditEvent(event(b.scope_id, 2, '2025-01-01T00:00:01.000Z'));
        await auditLog.appendAuditEvent(event(a.scope_id, 3, '2025-01-01T00:00:01.000Z'));
        const listed = await auditLog.listAuditEvents(a.scope_id, { limit: 10 });
        expect(listed.map(({ event_id: _id, ...rest }) => rest)).toStrictEqual([
          event(a.scope_id, 1, '2025-01-01T00:00:02.000Z'),
          event(a.scope_id, 3, '2025-01-01T00:00:01.000Z'),
        ]);
        expect(listed[1]!.event_id).toBeGreaterThan(listed[0]!.event_id);
      });

      test('pages with afterId and limit, and filters by since', async () => {
        const scope = await scopes.createScope(newScope());
        for (let n = 1; n <= 5; n += 1) await auditLog.appendAuditEvent(event(scope.scope_id, n, `2025-01-01T00:00:0${n}.000Z`));
        const first = await auditLog.listAuditEvents(scope.scope_id, { limit: 2 });
        expect(first.map((e) => e.request_id)).toEqual(['request-1', 'request-2']);
        const next = await auditLog.listAuditEvents(scope.scope_id, { limit: 2, afterId: first[1]!.event_id });
        expect(next.map((e) => e.request_id)).toEqual(['request-3', 'request-4']);
        const recent = await auditLog.listAuditEvents(scope.scope_id, { limit: 10, since: '2025-01-01T00:00:04.000Z' });
        expect(recent.map((e) => e.request_id)).toEqual(['request-4', 'request-5']);
      });

      test('filters by event type and by account, together with the cursor', async () => {
        const scope = await scopes.createScope(newScope());
        for (let n = 1; n <= 4; n += 1) await auditLog.appendAuditEvent(event(scope.scope_id, n, `2025-01-01T00:00:0${n}.000Z`));
        await auditLog.appendAuditEvent({ ...event(scope.scope_id, 5, '2025-01-01T00:00:05.000Z'), event: 'account_disabled', account_id: 'account-2' });
        const disabled = await auditLog.listAuditEvents(scope.scope_id, { limit: 10, event: 'account_disabled' });
        expect(disabled.map((e) => e.request_id)).toEqual(['request-5']);
        const second = await auditLog.listAuditEvents(scope.scope_id, { limit: 10, accountId: 'account-2' });
        expect(second.map((e) => e.request_id)).toEqual(['request-2', 'request-5']);
        const both = await auditLog.listAuditEvents(scope.scope_id, { limit: 10, accountId: 'account-2', event: 'sign_in_failed', afterId: second[0]!.event_id - 1 });
        expect(both.map((e) => e.request_id)).toEqual(['request-2']);
        expect(await auditLog.listAuditEvents(scope.scope_id, { limit: 10, accountId: 'account-9' })).toEqual([]);
      });

      // The ceremony writes carry their audit row: written with the change, or not at all.
      const changeEvent = (account: Account, credentialId: string | null, name: AuditEventName, n: number) => ({
        scope_id: account.scope_id,
        occurred_at: '2025-01-01T00:00:01.000Z',
        event: name,
        account_id: account.account_id,
        credential_id: credentialId,
        reason: null,
        client_ip: null,
        request_id: `request-${n}`,
        chain_id: null,
        signed_digest: null,
        delegate_key_id: null,
        api_key_id: null,
        identifier_hash: null,
        webhook_id: null,
      });
      const loggedEvents = async (scopeId: string) =>
        (await auditLog.listAuditEvents(scopeId, { limit: 100 })).map(({ event_id: _id, ...rest }) => rest);

      test('createAccountWithCredential writes its audit event with the account, and none when refused', async () => {
        const scope = await scopes.createScope(newScope());
        const account = newAccount(scope.scope_id, 'audited');
        const created = await accounts.createAccountWithCredential(account, newCredential(account, 'cred-a'), changeEvent(account, 'cred-a', 'registration', 1));
        expect(created).toMatchObject({ ok: true, account: { account_id: account.account_id }, credential: { credential_id: 'cred-a' } });
        const taken = newAccount(scope.scope_id, 'audited');
        await expect(
          accounts.createAccountWithCredential(taken, newCredential(taken, 'cred-b'), changeEvent(taken, 'cred-b', 'registration', 2)),
        ).resolves.toStrictEqual({ ok: false, conflict: 'account_exists' });
        const reused = newAccount(scope.scope_id, 'other');
        await expect(
          accounts.createAccountWithCredential(reused, newCredential(reused, 'cred-a'), changeEvent(reused, 'cred-a', 'registration', 3)),
        ).resolves.toStrictEqual({ ok: false, conflict: 'credential_exists' });
        expect(await loggedEvents(scope.scope_id)).toStrictEqual([changeEvent(account, 'cred-a', 'registration', 1)]);
        expect(await accounts.findAccountByUsername(scope.scope_id, 'other')).toBeNull();
      });

      test('addCredential writes its audit event only when the passkey is added', async () => {
        const scope = await scopes.createScope(newScope());
        const account = newAccount(scope.scope_id, 'adder');
        await accounts.createAccountWithCredential(account, newCredential(account, 'first'));
        await expect(accounts.addCredential(newCredential(account, 'second'), 10, changeEvent(account, 'second', 'credential_added', 1))).resolves.toMatchObject({ ok: true });
        await expect(accounts.addCredential(newCredential(account, 'third'), 2, changeEvent(account, 'third', 'credential_added', 2))).resolves.toStrictEqual({
          ok: false,
          conflict: 'too_many_credentials',
        });
        expect(await loggedEvents(scope.scope_id)).toStrictEqual([changeEvent(account, 'second', 'credential_added', 1)]);
      });

      test('recordSignIn writes every audit event it is given with the sign-in, in order', async () => {
        const scope = await scopes.createScope(newScope());
        const account = newAccount(scope.scope_id, 'flipper');
        await accounts.createAccountWithCredential(account, newCredential(account, 'key'));
        const use = { counter: 0, device_type: 'singleDevice' as const, backed_up: false, last_used_at: '2025-01-01T00:00:01.000Z' };
        const events = [changeEvent(account, 'key', 'sign_in_succeeded', 1), { ...changeEvent(account, 'key', 'credential_backup_changed', 2), reason: 'be:1->0 bs:1->0' }];
        await expect(recordSignIn(accounts, scope.scope_id, account.account_id, 'key', use, events)).resolves.toBe('recorded');
        expect(await loggedEvents(scope.scope_id)).toStrictEqual(events);
      });

      test('revokeSession and endSessions write their audit events with the change', async () => {
        const scope = await scopes.createScope(newScope());
        const account = newAccount(scope.scope_id, 'leaver');
        await accounts.createAccountWithCredential(account, newCredential(account, 'key'));
        const jti = randomUUID();
        const revocation = { jti, account_id: account.account_id, expires_at: '2099-01-01T00:00:00.000Z' };
        await sessions.revokeSession(revocation, '2025-01-01T00:00:00.000Z', changeEvent(account, 'key', 'sign_out', 1));
        // Already revoked: nothing changes, nothing is logged.
        await sessions.revokeSession(revocation, '2025-01-01T00:00:00.000Z', changeEvent(account, 'key', 'sign_out', 2));
        await expect(sessions.endSessions(account.account_id, '2025-01-01T00:00:01.000Z', changeEvent(account, null, 'sessions_revoked', 3))).resolves.toBe(true);
        await expect(sessions.endSessions(randomUUID(), '2025-01-01T00:00:01.000Z', changeEvent(account, null, 'sessions_revoked', 4))).resolves.toBe(false);
        expect(await loggedEvents(scope.scope_id)).toStrictEqual([changeEvent(account, 'key', 'sign_out', 1), changeEvent(account, null, 'sessions_revoked', 3)]);
      });

      test('rename, flag, disable and delete write their audit events only when they change something', async () => {
        const scope = await scopes.createScope(newScope());
        const account = newAccount(scope.scope_id, 'manager');
        await accounts.createAccountWithCredential(account, newCredential(account, 'one'));
        await accounts.addCredential(newCredential(account, 'two'), 10);
        const event = (name: AuditEventName, credentialId: string | null, n: number) => changeEvent(account, credentialId, name, n);
        await expect(accounts.renameCredential(account.account_id, 'one', 'Laptop', event('credential_renamed', 'one', 1))).resolves.toBe(true);
        await expect(accounts.renameCredential(account.account_id, 'none', 'x', event('credential_renamed', 'none', 2))).resolves.toBe(false);
        await expect(accounts.markCredentialPossiblyCloned(scope.scope_id, 'two', event('counter_regression', 'two', 3))).resolves.toBe(true);
        await expect(accounts.markCredentialPossiblyCloned(scope.scope_id, 'none', event('counter_regression', 'none', 4))).resolves.toBe(false);
        await expect(accounts.setAccountDisabled(account.account_id, true, event('account_disabled', null, 5))).resolves.toBe(true);
        await expect(accounts.setAccountDisabled('no-such-account', true, event('account_disabled', null, 6))).resolves.toBe(false);
        await expect(accounts.deleteCredential(account.account_id, 'two', event('credential_deleted', 'two', 7))).resolves.toBe('deleted');
        await expect(accounts.deleteCredential(account.account_id, 'one', event('credential_deleted', 'one', 8))).resolves.toBe('last_credential');
        await expect(accounts.deleteCredential(account.account_id, 'two', event('credential_deleted', 'two', 9))).resolves.toBe('not_found');
        expect(await loggedEvents(scope.scope_id)).toStrictEqual([
          event('credential_renamed', 'one', 1),
          event('counter_regression', 'two', 3),
          event('account_disabled', null, 5),
          event('credential_deleted', 'two', 7),
        ]);
      });

      test('recordSignIn writes its audit event only when the sign-in is recorded', async () => {
        const scope = await scopes.createScope(newScope());
        const account = newAccount(scope.scope_id, 'signer');
        await accounts.createAccountWithCredential(account, newCredential(account, 'key'));
        const use = { counter: 3, device_type: 'multiDevice' as const, backed_up: true, last_used_at: '2025-01-01T00:00:01.000Z' };
        const event = (n: number) => changeEvent(account, 'key', 'sign_in_succeeded', n);
        await expect(recordSignIn(accounts, scope.scope_id, account.account_id, 'key', use, [event(1)])).resolves.toBe('recorded');
        await expect(recordSignIn(accounts, scope.scope_id, account.account_id, 'gone', use, [event(2)])).resolves.toBe('not_found');
        await expect(recordSignIn(accounts, scope.scope_id, account.account_id, 'key', use, [event(3)])).resolves.toBe('counter_regression');
        await accounts.setAccountDisabled(account.account_id, true);
        await expect(recordSignIn(accounts, scope.scope_id, account.account_id, 'key', { ...use, counter: 4 }, [event(4)])).resolves.toBe('account_disabled');
        expect(await loggedEvents(scope.scope_id)).toStrictEqual([event(1)]);
        await expect(accounts.findCredential(scope.scope_id, 'key')).resolves.toMatchObject({ counter: 3 });
      });
    });
  });
}
