/**
 * Behaviour every SessionStore must have, run unchanged against each SQL backend (see sql-stores.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Account, Credential } from '../../src/domain/account.js';
import type { AccountStore } from '../../src/stores/account-store.js';
import type { ScopeStore } from '../../src/stores/scope-store.js';
import type { SessionStore } from '../../src/stores/session-store.js';
import { accountWith as createAccountWith, newScope, type SqlStoresHarness } from './sql-fixtures.js';
import { recordSignIn } from '../../src/authentication/sign-in-rule.js';

export function runSessionStoreContract(name: string, makeStores: () => Promise<SqlStoresHarness> | SqlStoresHarness): void {
  describe(`${name} (SessionStore contract)`, () => {
    let harness: SqlStoresHarness;
    let scopes: ScopeStore;
    let accounts: AccountStore;
    let sessions: SessionStore;

    beforeEach(async () => {
      harness = await makeStores();
      ({ scopes, accounts, sessions } = harness);
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    describe('account and credential management', () => {
      let scopeId: string;
      let alice: Account;
      let aliceKey: Credential;
      let bob: Account;
      let bobKey: Credential;

      const accountWith = (username: string, count: number, scope = scopeId) => createAccountWith(accounts, scope, username, count);

      beforeEach(async () => {
        scopeId = (await scopes.createScope(newScope())).scope_id;
        await scopes.createScope(newScope({ name: 'Other' }));
        const a = await accountWith('alice', 1);
        [alice, aliceKey] = [a.account, a.credentials[0]!];
        const b = await accountWith('bob', 1);
        [bob, bobKey] = [b.account, b.credentials[0]!];
      });


      describe('session state: sessionState, revokeSession, endSessions', () => {
        const revocation = (jti: string, accountId: string, expiresAt = '2099-01-01T00:00:00.000Z') => ({ jti, account_id: accountId, expires_at: expiresAt });
        const now = '2025-06-01T00:00:00.000Z';

        test('sessionState reads the account with its passkey\'s creation time, no revocation and no end', async () => {
          await expect(sessions.sessionState(alice.account_id, aliceKey.credential_id, randomUUID())).resolves.toStrictEqual({
            account: alice,
            credential_created_at: aliceKey.created_at,
            revoked: false,
            sessions_valid_after: null,
          });
        });

        test('sessionState is null for an unknown account; a passkey of another account, or deleted, has no creation time', async () => {
          await expect(sessions.sessionState(randomUUID(), aliceKey.credential_id, randomUUID())).resolves.toBeNull();
          await expect(sessions.sessionState(alice.account_id, bobKey.credential_id, randomUUID())).resolves.toMatchObject({ credential_created_at: null });
          const { account: carol, credentials } = await accountWith('carol', 2);
          await accounts.deleteCredential(carol.account_id, credentials[0]!.credential_id);
          await expect(sessions.sessionState(carol.account_id, credentials[0]!.credential_id, randomUUID())).resolves.toMatchObject({ credential_created_at: null });
          await expect(sessions.sessionState(carol.account_id, credentials[1]!.credential_id, randomUUID())).resolves.toMatchObject({ credential_created_at: credentials[1]!.created_at });
        });

        test('a revoked jti reads as revoked, for that jti only; revoking twice is harmless', async () => {
          const jti = randomUUID();
          await sessions.revokeSession(revocation(jti, alice.account_id), now);
          await sessions.revokeSession(revocation(jti, alice.account_id), now);
          await expect(sessions.sessionState(alice.account_id, aliceKey.credential_id, jti)).resolves.toMatchObject({ revoked: true });
          await expect(sessions.sessionState(alice.account_id, aliceKey.credential_id, randomUUID())).resolves.toMatchObject({ revoked: false });
        });

        test('revocations that expired are swept by a later revocation, live ones are kept', async () => {
          const [expired, live] = [randomUUID(), randomUUID()];
          await sessions.revokeSession(revocation(expired, alice.account_id, '2025-01-01T00:00:00.000Z'), '2024-12-31T00:00:00.000Z');
          await sessions.revokeSession(revocation(live, alice.account_id), '2024-12-31T00:00:00.000Z');
          await sessions.revokeSession(revocation(randomUUID(), bob.account_id), now);
          await expect(sessions.sessionState(alice.account_id, aliceKey.credential_id, expired)).resolves.toMatchObject({ revoked: false });
          await expect(sessions.sessionState(alice.account_id, aliceKey.credential_id, live)).resolves.toMatchObject({ revoked: true });
        });

        test('endSessions stores the time, never moves it back, and is false for an unknown account', async () => {
          await expect(sessions.endSessions(alice.account_id, '2025-06-01T00:00:02+00:00')).resolves.toBe(true);
          await expect(sessions.sessionState(alice.account_id, aliceKey.credential_id, randomUUID())).resolves.toMatchObject({ sessions_valid_after: '2025-06-01T00:00:02.000Z' });
          await expect(sessions.endSessions(alice.account_id, '2025-06-01T00:00:01.000Z')).resolves.toBe(true);
          await expect(sessions.sessionState(alice.account_id, aliceKey.credential_id, randomUUID())).resolves.toMatchObject({ sessions_valid_after: '2025-06-01T00:00:02.000Z' });
          await expect(sessions.endSessions(alice.account_id, '2025-06-01T00:00:03.000Z')).resolves.toBe(true);
          await expect(sessions.sessionState(alice.account_id, aliceKey.credential_id, randomUUID())).resolves.toMatchObject({ sessions_valid_after: '2025-06-01T00:00:03.000Z' });
          await expect(sessions.sessionState(bob.account_id, bobKey.credential_id, randomUUID())).resolves.toMatchObject({ sessions_valid_after: null });
          await expect(sessions.endSessions(randomUUID(), now)).resolves.toBe(false);
          // The account itself is unchanged.
          await expect(accounts.getAccount(alice.account_id)).resolves.toStrictEqual(alice);
        });

        test('recordSignIn stores the device type the assertion shows', async () => {
          const use = { counter: 1, device_type: 'singleDevice' as const, backed_up: false, last_used_at: now };
          await expect(recordSignIn(accounts, scopeId, alice.account_id, aliceKey.credential_id, use)).resolves.toBe('recorded');
          await expect(accounts.findCredential(scopeId, aliceKey.credential_id)).resolves.toMatchObject({ device_type: 'singleDevice', backed_up: false });
        });
      });
    });
  });
}
