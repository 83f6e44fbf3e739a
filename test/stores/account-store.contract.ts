/**
 * Behaviour every AccountStore (accounts and their passkeys) must have, run unchanged against each SQL backend (see sql-stores.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Account, Credential } from '../../src/domain/account.js';
import type { AccountStore } from '../../src/stores/account-store.js';
import type { Backend } from '../../src/stores/open-stores.js';
import type { ScopeStore } from '../../src/stores/scope-store.js';
import { accountWith as createAccountWith, newAccount, newCredential, newScope, type SqlStoresHarness } from './sql-fixtures.js';
import { recordSignIn } from '../../src/authentication/sign-in-rule.js';
import { match } from '../support/match.js';

export function runAccountStoreContract(name: string, makeStores: () => Promise<SqlStoresHarness> | SqlStoresHarness): void {
  describe(`${name} (AccountStore contract)`, () => {
    let harness: SqlStoresHarness;
    let scopes: ScopeStore;
    let accounts: AccountStore;
    let database: Backend;

    beforeEach(async () => {
      harness = await makeStores();
      ({ scopes, accounts, database } = harness);
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    describe('accounts and credentials', () => {
      let scopeId: string;
      let otherScopeId: string;

      beforeEach(async () => {
        scopeId = (await scopes.createScope(newScope())).scope_id;
        otherScopeId = (await scopes.createScope(newScope({ name: 'Other' }))).scope_id;
      });

      test('createAccountWithCredential returns exactly what was stored, identical on every backend', async () => {
        const account = newAccount(scopeId, 'alice', { account_id: 'acc-1', user_handle: 'aGFuZGxl' });
        const credential = newCredential(account, 'cred-1', { counter: 42, transports: ['usb'], backed_up: false, device_type: 'singleDevice' });
        const expectedAccount: Account = {
          account_id: 'acc-1',
          scope_id: scopeId,
          username: 'alice',
          display_name: 'Display alice',
          user_handle: 'aGFuZGxl',
          identifier_hash: 'hash-alice',
          public_key: '02abababababababababababababababababababababababababababababababab',
          address: '0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd',
          user_id: null,
          second_factor_only: false,
          disabled: false,
          created_at: '2025-01-02T03:04:05.678Z',
        };
        const expectedCredential: Credential = {
          credential_id: 'cred-1',
          account_id: 'acc-1',
          scope_id: scopeId,
          public_key: 'pQECAyYgASFYIGx1c3RyYXRpdmUta2V5',
          algorithm: -7,
          counter: 42,
          transports: ['usb'],
          aaguid: '00000000-0000-0000-0000-000000000000',
          device_type: 'singleDevice',
          backed_up: false,
          created_at: '2025-01-02T03:04:05.678Z',
          last_used_at: null,
          name: null,
          possibly_cloned: false,
          discoverable: null,
          authenticator_attachment: null,
          attestation_verified: false,
          second_factor_only: false,
        };
        await expect(accounts.createAccountWithCredential(account, credential)).resolves.toStrictEqual({
          ok: true,
          account: expectedAccount,
          credential: expectedCredential,
        });
        await expect(accounts.findAccountByUsername(scopeId, 'alice')).resolves.toStrictEqual(expectedAccount);
        await expect(accounts.findCredential(scopeId, 'cred-1')).resolves.toStrictEqual(expectedCredential);
        await expect(accounts.listCredentials('acc-1')).resolves.toStrictEqual([expectedCredential]);
        await expect(accounts.getAccount('acc-1')).resolves.toStrictEqual(expectedAccount);
      });

      test('createAccountWithCredential with an invite writes the account only while the invite is unused and unexpired, once per invite', async () => {
        const { operatorInvites } = harness;
        const now = '2025-01-01T00:00:00.000Z';
        await operatorInvites.createInvite({ invite_hash: 'hash-1', created_at: now, expires_at: '2025-01-01T00:30:00.000Z' });
        const first = newAccount(scopeId, 'op-1');
        const created = await accounts.createAccountWithCredential(first, newCredential(first, 'op-cred-1'), undefined, { invite: { invite_hash: 'hash-1', now: now } });
        expect(created.ok).toBe(true);
        // Used: nothing of the second account is written.
        const second = newAccount(scopeId, 'op-2');
        await expect(accounts.createAccountWithCredential(second, newCredential(second, 'op-cred-2'), undefined, { invite: { invite_hash: 'hash-1', now: now } })).resolves.toEqual({ ok: false, conflict: 'invite_invalid' });
        expect(await accounts.getAccount(second.account_id)).toBeNull();
        expect(await operatorInvites.isRedeemable('hash-1', now)).toBe(false);
        // Expired, or unknown: refused alike.
        await operatorInvites.createInvite({ invite_hash: 'hash-2', created_at: now, expires_at: '2025-01-01T00:30:00.000Z' });
        await expect(accounts.createAccountWithCredential(second, newCredential(second, 'op-cred-2'), undefined, { invite: { invite_hash: 'hash-2', now: '2025-01-01T00:30:00.000Z' } })).resolves.toEqual({ ok: false, conflict: 'invite_invalid' });
        await expect(accounts.createAccountWithCredential(second, newCredential(second, 'op-cred-2'), undefined, { invite: { invite_hash: 'hash-9', now: now } })).resolves.toEqual({ ok: false, conflict: 'invite_invalid' });
        // A conflict after the invite was taken rolls that back: the invite can still be used.
        const taken = newAccount(scopeId, 'op-1');
        await expect(accounts.createAccountWithCredential(taken, newCredential(taken, 'op-cred-3'), undefined, { invite: { invite_hash: 'hash-2', now: now } })).resolves.toEqual({ ok: false, conflict: 'account_exists' });
        expect(await operatorInvites.isRedeemable('hash-2', now)).toBe(true);
      });

      test('createAccountWithCredential stores non-default flags, name and last use', async () => {
        const account = newAccount(scopeId, 'flags', { disabled: true });
        const credential = newCredential(account, 'cred-flags', {
          last_used_at: '2025-03-04T06:06:07+01:00',
          name: 'Work laptop ✓',
          possibly_cloned: true,
        });
        const result = await accounts.createAccountWithCredential(account, credential);
        const expectedCredential = { ...credential, last_used_at: '2025-03-04T05:06:07.000Z' };
        expect(result).toStrictEqual({ ok: true, account, credential: expectedCredential });
        await expect(accounts.getAccount(account.account_id)).resolves.toStrictEqual(account);
        await expect(accounts.findCredential(scopeId, 'cred-flags')).resolves.toStrictEqual(expectedCredential);
      });

      test('timestamps come back in canonical UTC ISO-8601 form', async () => {
        const account = newAccount(scopeId, 'tz', { created_at: '2025-06-01T12:00:00+02:00' });
        const credential = newCredential(account, 'cred-tz', { created_at: '2025-06-01T10:00:00.5Z' });
        const result = await accounts.createAccountWithCredential(account, credential);
        expect(result.ok && result.account.created_at).toBe('2025-06-01T10:00:00.000Z');
        expect(result.ok && result.credential.created_at).toBe('2025-06-01T10:00:00.500Z');
        await expect(accounts.findAccountByUsername(scopeId, 'tz')).resolves.toMatchObject({
          created_at: '2025-06-01T10:00:00.000Z',
        });
      });

      test('a taken username is account_exists and writes no credential', async () => {
        const first = newAccount(scopeId, 'bob');
        await accounts.createAccountWithCredential(first, newCredential(first, 'cred-bob-1'));
        const second = newAccount(scopeId, 'bob');
        await expect(
          accounts.createAccountWithCredential(second, newCredential(second, 'cred-bob-2')),
        ).resolves.toStrictEqual({ ok: false, conflict: 'account_exists' });
        await expect(accounts.findCredential(scopeId, 'cred-bob-2')).resolves.toBeNull();
        await expect(accounts.listCredentials(second.account_id)).resolves.toEqual([]);
        await expect(accounts.findAccountByUsername(scopeId, 'bob')).resolves.toMatchObject({
          account_id: first.account_id,
        });
      });

      test('a registered credential id in the same scope is credential_exists and writes no account', async () => {
        const first = newAccount(scopeId, 'carol');
        await accounts.createAccountWithCredential(first, newCredential(first, 'shared-cred'));
        const second = newAccount(scopeId, 'dave');
        await expect(
          accounts.createAccountWithCredential(second, newCredential(second, 'shared-cred')),
        ).resolves.toStrictEqual({ ok: false, conflict: 'credential_exists' });
        await expect(accounts.findAccountByUsername(scopeId, 'dave')).resolves.toBeNull();
        // The refused attempt left the username free: a retry with a fresh credential succeeds.
        await expect(
          accounts.createAccountWithCredential(second, newCredential(second, 'dave-cred')),
        ).resolves.toMatchObject({ ok: true });
      });

      test('the same credential id and username may exist in another scope', async () => {
        const here = newAccount(scopeId, 'erin');
        const there = newAccount(otherScopeId, 'erin');
        await expect(accounts.createAccountWithCredential(here, newCredential(here, 'cred-x'))).resolves.toMatchObject({ ok: true });
        await expect(accounts.createAccountWithCredential(there, newCredential(there, 'cred-x'))).resolves.toMatchObject({ ok: true });
        await expect(accounts.findCredential(scopeId, 'cred-x')).resolves.toMatchObject({ account_id: here.account_id });
        await expect(accounts.findCredential(otherScopeId, 'cred-x')).resolves.toMatchObject({ account_id: there.account_id });
      });

      test('findAccountByUsername compares exactly within one scope', async () => {
        const account = newAccount(scopeId, 'frank');
        await accounts.createAccountWithCredential(account, newCredential(account, 'cred-frank'));
        await expect(accounts.findAccountByUsername(scopeId, 'frank')).resolves.toMatchObject({ account_id: account.account_id });
        await expect(accounts.findAccountByUsername(scopeId, 'Frank')).resolves.toBeNull();
        await expect(accounts.findAccountByUsername(scopeId, 'frank ')).resolves.toBeNull();
        await expect(accounts.findAccountByUsername(otherScopeId, 'frank')).resolves.toBeNull();
      });

      test('findCredential is scoped and listCredentials is per account', async () => {
        const account = newAccount(scopeId, 'grace');
        const credential = newCredential(account, 'cred-grace');
        await accounts.createAccountWithCredential(account, credential);
        await expect(accounts.findCredential(otherScopeId, 'cred-grace')).resolves.toBeNull();
        await expect(accounts.findCredential(scopeId, 'no-such-cred')).resolves.toBeNull();
        await expect(accounts.listCredentials(account.account_id)).resolves.toStrictEqual([credential]);
        await expect(accounts.listCredentials(randomUUID())).resolves.toEqual([]);
      });

      test('ten concurrent registrations of one username: exactly one succeeds', async () => {
        const attempts = Array.from({ length: 10 }, (_, i) => {
          const account = newAccount(scopeId, 'heidi');
          return { account, credential: newCredential(account, `cred-heidi-${i}`) };
        });
        const results = await Promise.all(
          attempts.map(({ account, credential }) => accounts.createAccountWithCredential(account, credential)),
        );
        const winners = results.filter((result) => result.ok);
        expect(winners).toHaveLength(1);
        expect(results.filter((result) => !result.ok)).toEqual(
          Array.from({ length: 9 }, () => ({ ok: false, conflict: 'account_exists' })),
        );
        const stored = await Promise.all(attempts.map(({ credential }) => accounts.findCredential(scopeId, credential.credential_id)));
        expect(stored.filter((credential) => credential !== null)).toHaveLength(1);
      });

      test('errors other than the two conflicts are thrown, not mapped', async () => {
        // Unknown scope: a foreign-key violation is a caller bug, not a conflict. (Matched by shape,
        // not toThrow(): better-sqlite3's native error class may come from another jest module registry.)
        const account = newAccount(randomUUID(), 'ivan');
        await expect(
          accounts.createAccountWithCredential(account, newCredential(account, 'cred-ivan')),
        ).rejects.toMatchObject({ message: match.any(String) });
        await expect(accounts.findAccountByUsername(account.scope_id, 'ivan')).resolves.toBeNull();
      });
    });

    describe('account and credential management', () => {
      let scopeId: string;
      let otherScopeId: string;
      let alice: Account;
      let aliceKey: Credential;
      let bob: Account;
      let bobKey: Credential;

      const accountWith = (username: string, count: number, scope = scopeId) => createAccountWith(accounts, scope, username, count);

      beforeEach(async () => {
        scopeId = (await scopes.createScope(newScope())).scope_id;
        otherScopeId = (await scopes.createScope(newScope({ name: 'Other' }))).scope_id;
        const a = await accountWith('alice', 1);
        [alice, aliceKey] = [a.account, a.credentials[0]!];
        const b = await accountWith('bob', 1);
        [bob, bobKey] = [b.account, b.credentials[0]!];
      });

      test('getAccount reads an account by id; an unknown id is null', async () => {
        await expect(accounts.getAccount(alice.account_id)).resolves.toStrictEqual(alice);
        await expect(accounts.getAccount(randomUUID())).resolves.toBeNull();
      });

      test('setAccountDisabled round-trips the flag and is false for an unknown account', async () => {
        await expect(accounts.setAccountDisabled(alice.account_id, true)).resolves.toBe(true);
        await expect(accounts.getAccount(alice.account_id)).resolves.toStrictEqual({ ...alice, disabled: true });
        await expect(accounts.findAccountByUsername(scopeId, 'alice')).resolves.toMatchObject({ disabled: true });
        // Setting the value it already has still finds the account.
        await expect(accounts.setAccountDisabled(alice.account_id, true)).resolves.toBe(true);
        await expect(accounts.getAccount(bob.account_id)).resolves.toMatchObject({ disabled: false });
        await expect(accounts.setAccountDisabled(alice.account_id, false)).resolves.toBe(true);
        await expect(accounts.getAccount(alice.account_id)).resolves.toStrictEqual(alice);
        await expect(accounts.setAccountDisabled(randomUUID(), true)).resolves.toBe(false);
      });

      describe('sign-in reads (one round trip each)', () => {
        test('findCredentialWithAccount returns the credential and its account, as findCredential and getAccount do', async () => {
          await expect(accounts.findCredentialWithAccount(scopeId, aliceKey.credential_id)).resolves.toStrictEqual({ credential: aliceKey, account: alice });
          await expect(accounts.findCredentialWithAccount(scopeId, bobKey.credential_id)).resolves.toStrictEqual({ credential: bobKey, account: bob });
          const { account: carol, credentials } = await accountWith('carol', 3);
          await recordSignIn(accounts, scopeId, carol.account_id, credentials[1]!.credential_id, { counter: 9, device_type: 'multiDevice' as const, backed_up: false, last_used_at: '2025-02-03T04:05:06.7+01:00' });
          await accounts.markCredentialPossiblyCloned(scopeId, credentials[1]!.credential_id);
          await accounts.renameCredential(carol.account_id, credentials[1]!.credential_id, 'Zoë’s key');
          await accounts.setAccountDisabled(carol.account_id, true);
          for (const { credential_id } of credentials) {
            await expect(accounts.findCredentialWithAccount(scopeId, credential_id)).resolves.toStrictEqual({
              credential: await accounts.findCredential(scopeId, credential_id),
              account: { ...carol, disabled: true },
            });
          }
          await expect(accounts.findCredentialWithAccount(scopeId, credentials[1]!.credential_id)).resolves.toMatchObject({
            credential: { counter: 9, backed_up: false, last_used_at: '2025-02-03T03:05:06.700Z', possibly_cloned: true, name: 'Zoë’s key' },
          });
        });

        test('findCredentialWithAccount of an unknown credential, or one of another scope, is null', async () => {
          await expect(accounts.findCredentialWithAccount(scopeId, 'no-such-cred')).resolves.toBeNull();
          await expect(accounts.findCredentialWithAccount(otherScopeId, aliceKey.credential_id)).resolves.toBeNull();
          await expect(accounts.findCredentialWithAccount(randomUUID(), aliceKey.credential_id)).resolves.toBeNull();
        });

        test('findAccountWithCredentials returns an account with its one credential', async () => {
          await expect(accounts.findAccountWithCredentials(scopeId, 'alice')).resolves.toStrictEqual({ account: alice, credentials: [aliceKey] });
          await expect(accounts.findAccountWithCredentials(scopeId, 'bob')).resolves.toStrictEqual({ account: bob, credentials: [bobKey] });
        });

        test('findAccountWithCredentials lists several credentials in listCredentials order', async () => {
          const { account: carol, credentials } = await accountWith('carol', 3);
          // Created earliest, so it comes first although its id sorts last.
          const early = newCredential(carol, 'carol-z', {
            created_at: '2024-12-31T23:59:59.999Z',
            counter: 3,
            transports: [],
            last_used_at: '2025-01-05T00:00:00.000Z',
            name: 'Old key',
            possibly_cloned: true,
            backed_up: false,
            device_type: 'singleDevice',
          });
          await expect(accounts.addCredential(early, 10)).resolves.toMatchObject({ ok: true });
          const expected = { account: carol, credentials: [early, ...credentials] };
          await expect(accounts.findAccountWithCredentials(scopeId, 'carol')).resolves.toStrictEqual(expected);
          await expect(accounts.listCredentials(carol.account_id)).resolves.toStrictEqual(expected.credentials);
        });

        test('findAccountWithCredentials returns an account without credentials with an empty list', async () => {
          await harness.deleteCredentialsOf(alice.account_id);
          await expect(accounts.findAccountWithCredentials(scopeId, 'alice')).resolves.toStrictEqual({ account: alice, credentials: [] });
          await expect(accounts.findCredentialWithAccount(scopeId, aliceKey.credential_id)).resolves.toBeNull();
          await expect(accounts.findAccountWithCredentials(scopeId, 'bob')).resolves.toStrictEqual({ account: bob, credentials: [bobKey] });
        });

        test('findAccountWithCredentials compares usernames exactly within one scope; no match is null', async () => {
          await expect(accounts.findAccountWithCredentials(scopeId, 'nobody')).resolves.toBeNull();
          await expect(accounts.findAccountWithCredentials(scopeId, 'Alice')).resolves.toBeNull();
          await expect(accounts.findAccountWithCredentials(scopeId, 'alice ')).resolves.toBeNull();
          await expect(accounts.findAccountWithCredentials(otherScopeId, 'alice')).resolves.toBeNull();
          await expect(accounts.findAccountWithCredentials(randomUUID(), 'alice')).resolves.toBeNull();
        });

        test('both reads show a disabled account as disabled', async () => {
          await accounts.setAccountDisabled(alice.account_id, true);
          const disabled = { ...alice, disabled: true };
          await expect(accounts.findAccountWithCredentials(scopeId, 'alice')).resolves.toStrictEqual({ account: disabled, credentials: [aliceKey] });
          await expect(accounts.findCredentialWithAccount(scopeId, aliceKey.credential_id)).resolves.toStrictEqual({ credential: aliceKey, account: disabled });
        });
      });

      describe('credentialShapes (what unknown-user answers are drawn from)', () => {
        /** After every account these tests create. */
        const LATER = '2099-01-01T00:00:00.000Z';
        /** A base64url credential id of `bytes` bytes, distinct per `fill`. */
        const idOf = (bytes: number, fill: number) => Buffer.alloc(bytes, fill).toString('base64url');

        /** An account created at `createdAt` holding the given passkeys (created in that order unless they say otherwise). */
        async function accountAt(username: string, createdAt: string, passkeys: Array<Partial<Credential>>, scope = scopeId) {
          const account = newAccount(scope, username, { created_at: createdAt });
          const [first, ...more] = passkeys.map((overrides, i) => newCredential(account, `${username}-${i}`, { created_at: createdAt, ...overrides }));
          await expect(accounts.createAccountWithCredential(account, first!)).resolves.toMatchObject({ ok: true });
          for (const credential of more) await expect(accounts.addCredential(credential, 10)).resolves.toMatchObject({ ok: true });
          return account;
        }

        test('lists the newest accounts first, each one\'s passkeys in allowCredentials order, with id lengths in bytes', async () => {
          await accountAt('carol', '2025-03-01T00:00:00.000Z', [
            { credential_id: idOf(16, 1), transports: ['usb'] },
            // Created earlier, so it comes first, as in findAccountWithCredentials.
            { credential_id: idOf(64, 2), transports: [], created_at: '2025-02-01T00:00:00.000Z' },
            { credential_id: idOf(17, 3), transports: ['nfc', 'usb'], created_at: '2025-03-01T00:00:00.000Z' },
          ]);
          await accountAt('dave', '2025-04-01T00:00:00.000Z', [{ credential_id: idOf(32, 4), transports: ['hybrid', 'internal'] }]);
          // Newer than both, but in another scope.
          await accountAt('erin', '2025-05-01T00:00:00.000Z', [{ credential_id: idOf(48, 5) }], otherScopeId);

          const dave = [{ id_length: 32, transports: ['hybrid', 'internal'] }];
          const carol = [
            { id_length: 64, transports: [] },
            { id_length: 16, transports: ['usb'] },
            { id_length: 17, transports: ['nfc', 'usb'] },
          ];
          // alice and bob: created earlier at the same time (so by account id), one passkey each: 'alice-0'
          // has 7 base64url characters, 5 bytes; 'bob-0' 5 characters, 3 bytes.
          const older = [
            { account: alice, shape: [{ id_length: 5, transports: ['internal', 'hybrid'] }] },
            { account: bob, shape: [{ id_length: 3, transports: ['internal', 'hybrid'] }] },
          ].sort((x, y) => (x.account.account_id < y.account.account_id ? 1 : -1));
          await expect(accounts.credentialShapes(scopeId, 2, LATER)).resolves.toStrictEqual([dave, carol]);
          await expect(accounts.credentialShapes(scopeId, 500, LATER)).resolves.toStrictEqual([dave, carol, ...older.map(({ shape }) => shape)]);
          await expect(accounts.credentialShapes(otherScopeId, 500, LATER)).resolves.toStrictEqual([[{ id_length: 48, transports: ['internal', 'hybrid'] }]]);
        });

        test('breaks ties in creation time by account id, newest sample first', async () => {
          const at = '2025-06-01T00:00:00.000Z';
          const first = await accountAt('frank', at, [{ credential_id: idOf(20, 6) }]);
          const second = await accountAt('grace', at, [{ credential_id: idOf(40, 7) }]);
          const [higher, lower] = first.account_id > second.account_id ? [20, 40] : [40, 20];
          const shapes = await accounts.credentialShapes(scopeId, 2, LATER);
          expect(shapes.map((shape) => shape[0]?.id_length)).toEqual([higher, lower]);
        });

        test('holds only accounts created before the cutoff', async () => {
          await accountAt('henry', '2025-04-01T00:00:00.000Z', [{ credential_id: idOf(32, 8), transports: ['usb'] }]);
          await accountAt('iris', '2025-05-01T00:00:00.000Z', [{ credential_id: idOf(16, 9), transports: ['nfc'] }]);
          await expect(accounts.credentialShapes(scopeId, 1, '2025-05-01T00:00:00.000Z')).resolves.toStrictEqual([[{ id_length: 32, transports: ['usb'] }]]);
          await expect(accounts.credentialShapes(scopeId, 1, '2025-05-01T00:00:00.001Z')).resolves.toStrictEqual([[{ id_length: 16, transports: ['nfc'] }]]);
        });

        test('leaves out accounts without passkeys; a scope without accounts has none', async () => {
          await harness.deleteCredentialsOf(alice.account_id);
          await expect(accounts.credentialShapes(scopeId, 500, LATER)).resolves.toStrictEqual([[{ id_length: 3, transports: ['internal', 'hybrid'] }]]);
          await expect(accounts.credentialShapes(otherScopeId, 500, LATER)).resolves.toStrictEqual([]);
          await expect(accounts.credentialShapes(randomUUID(), 500, LATER)).resolves.toStrictEqual([]);
        });

        test('refuses a limit that is not a positive integer', async () => {
          for (const limit of [0, -1, 1.5]) await expect(accounts.credentialShapes(scopeId, limit, LATER)).rejects.toThrow(RangeError);
        });
      });

      describe('addCredential', () => {
        test('adds a passkey to the account and returns exactly what was stored', async () => {
          const credential = newCredential(alice, 'alice-new', {
            counter: 7,
            transports: ['nfc'],
            created_at: '2025-05-06T07:08:09.1+00:00',
            name: 'YubiKey',
          });
          const expected: Credential = {
            credential_id: 'alice-new',
            account_id: alice.account_id,
            scope_id: scopeId,
            public_key: 'pQECAyYgASFYIGx1c3RyYXRpdmUta2V5',
            algorithm: -7,
            counter: 7,
            transports: ['nfc'],
            aaguid: '00000000-0000-0000-0000-000000000000',
            device_type: 'multiDevice',
            backed_up: true,
            created_at: '2025-05-06T07:08:09.100Z',
            last_used_at: null,
            name: 'YubiKey',
            possibly_cloned: false,
            discoverable: null,
            authenticator_attachment: null,
            attestation_verified: false,
            second_factor_only: false,
          };
          await expect(accounts.addCredential(credential, 10)).resolves.toStrictEqual({ ok: true, credential: expected });
          await expect(accounts.findCredential(scopeId, 'alice-new')).resolves.toStrictEqual(expected);
          await expect(accounts.listCredentials(alice.account_id)).resolves.toStrictEqual([aliceKey, expected]);
        });

        test('a credential id taken in the scope, by any account, is credential_exists', async () => {
          await expect(accounts.addCredential(newCredential(alice, aliceKey.credential_id), 10)).resolves.toStrictEqual({
            ok: false,
            conflict: 'credential_exists',
          });
          await expect(accounts.addCredential(newCredential(alice, bobKey.credential_id), 10)).resolves.toStrictEqual({
            ok: false,
            conflict: 'credential_exists',
          });
          await expect(accounts.listCredentials(alice.account_id)).resolves.toStrictEqual([aliceKey]);
          await expect(accounts.findCredential(scopeId, bobKey.credential_id)).resolves.toStrictEqual(bobKey);
        });

        test('the same credential id in another scope is fine', async () => {
          const { account: carol } = await accountWith('carol', 1, otherScopeId);
          await expect(accounts.addCredential(newCredential(carol, aliceKey.credential_id), 10)).resolves.toMatchObject({
            ok: true,
          });
        });

        test('an unknown account, or one in another scope, is account_not_found', async () => {
          const ghost = newAccount(scopeId, 'ghost');
          await expect(accounts.addCredential(newCredential(ghost, 'ghost-cred'), 10)).resolves.toStrictEqual({
            ok: false,
            conflict: 'account_not_found',
          });
          const elsewhere = newCredential(alice, 'wrong-scope', { scope_id: otherScopeId });
          await expect(accounts.addCredential(elsewhere, 10)).resolves.toStrictEqual({
            ok: false,
            conflict: 'account_not_found',
          });
          await expect(accounts.findCredential(scopeId, 'ghost-cred')).resolves.toBeNull();
          await expect(accounts.findCredential(otherScopeId, 'wrong-scope')).resolves.toBeNull();
        });

        test('an account at the limit is too_many_credentials', async () => {
          await expect(accounts.addCredential(newCredential(alice, 'alice-1'), 2)).resolves.toMatchObject({ ok: true });
          await expect(accounts.addCredential(newCredential(alice, 'alice-2'), 2)).resolves.toStrictEqual({
            ok: false,
            conflict: 'too_many_credentials',
          });
          await expect(accounts.addCredential(newCredential(alice, 'alice-2'), 1)).resolves.toStrictEqual({
            ok: false,
            conflict: 'too_many_credentials',
          });
          await expect(accounts.listCredentials(alice.account_id)).resolves.toHaveLength(2);
          // The limit is per account.
          await expect(accounts.addCredential(newCredential(bob, 'bob-1'), 2)).resolves.toMatchObject({ ok: true });
        });

        test('a limit below 1 or not an integer is refused', async () => {
          for (const limit of [0, -1, 1.5, Number.NaN]) {
            await expect(accounts.addCredential(newCredential(alice, 'never'), limit)).rejects.toThrow(RangeError);
          }
          await expect(accounts.findCredential(scopeId, 'never')).resolves.toBeNull();
        });

        test('eight concurrent adds to an account holding 1 of 3: exactly two succeed', async () => {
          const results = await Promise.all(
            Array.from({ length: 8 }, (_, i) => accounts.addCredential(newCredential(alice, `race-${i}`), 3)),
          );
          expect(results.filter((result) => result.ok)).toHaveLength(2);
          expect(results.filter((result) => !result.ok)).toEqual(
            Array.from({ length: 6 }, () => ({ ok: false, conflict: 'too_many_credentials' })),
          );
          await expect(accounts.listCredentials(alice.account_id)).resolves.toHaveLength(3);
        });
      });

      describe('recordSignIn and markCredentialPossiblyCloned', () => {
        test('recordSignIn stores counter, backup state and canonical last use, nothing else', async () => {
          const use = { counter: 5, device_type: 'multiDevice' as const, backed_up: false, last_used_at: '2025-07-08T11:12:13.5+02:00' };
          await expect(recordSignIn(accounts, scopeId, alice.account_id, aliceKey.credential_id, use)).resolves.toBe('recorded');
          const expected: Credential = {
            ...aliceKey,
            counter: 5,
            backed_up: false,
            last_used_at: '2025-07-08T09:12:13.500Z',
          };
          await expect(accounts.findCredential(scopeId, aliceKey.credential_id)).resolves.toStrictEqual(expected);
          await expect(accounts.listCredentials(alice.account_id)).resolves.toStrictEqual([expected]);
          await expect(accounts.findCredential(scopeId, bobKey.credential_id)).resolves.toStrictEqual(bobKey);
        });

        test('a counter that does not grow is a counter_regression and changes nothing, a drop to 0 included; 0 forever is fine', async () => {
          const id = aliceKey.credential_id;
          const use = (counter: number, day: number) => ({ counter, device_type: 'multiDevice' as const, backed_up: true, last_used_at: `2025-01-0${day}T00:00:00.000Z` });
          // An authenticator without a counter (synced passkeys) sends 0 every time: recorded each time.
          await expect(recordSignIn(accounts, scopeId, alice.account_id, id, use(0, 1))).resolves.toBe('recorded');
          await expect(recordSignIn(accounts, scopeId, alice.account_id, id, use(0, 1))).resolves.toBe('recorded');
          await expect(recordSignIn(accounts, scopeId, alice.account_id, id, use(10, 1))).resolves.toBe('recorded');
          await expect(recordSignIn(accounts, scopeId, alice.account_id, id, use(9, 2))).resolves.toBe('counter_regression');
          await expect(recordSignIn(accounts, scopeId, alice.account_id, id, use(10, 2))).resolves.toBe('counter_regression');
          // WebAuthn L3 §7.2: once either counter is non-zero, a new one that is not greater is a regression.
          await expect(recordSignIn(accounts, scopeId, alice.account_id, id, use(0, 3))).resolves.toBe('counter_regression');
          await expect(accounts.findCredential(scopeId, id)).resolves.toMatchObject({ counter: 10, last_used_at: '2025-01-01T00:00:00.000Z' });
          // Large counters (up to 2^32 - 1) survive the round trip as numbers.
          await expect(recordSignIn(accounts, scopeId, alice.account_id, id, use(4_294_967_295, 4))).resolves.toBe('recorded');
          await expect(accounts.findCredential(scopeId, id)).resolves.toMatchObject({ counter: 4_294_967_295 });
          await expect(recordSignIn(accounts, scopeId, alice.account_id, id, use(4_294_967_295, 5))).resolves.toBe('counter_regression');
        });

        test('recordSignIn of an unknown credential, another scope\'s or another account\'s, is not_found', async () => {
          const use = { counter: 1, device_type: 'multiDevice' as const, backed_up: true, last_used_at: '2025-01-01T00:00:00.000Z' };
          await expect(recordSignIn(accounts, scopeId, alice.account_id, 'no-such-cred', use)).resolves.toBe('not_found');
          await expect(recordSignIn(accounts, otherScopeId, alice.account_id, aliceKey.credential_id, use)).resolves.toBe('not_found');
          await expect(recordSignIn(accounts, scopeId, bob.account_id, aliceKey.credential_id, use)).resolves.toBe('not_found');
          await expect(accounts.findCredential(scopeId, aliceKey.credential_id)).resolves.toStrictEqual(aliceKey);
        });

        test('recordSignIn for a disabled account is account_disabled and changes nothing', async () => {
          await accounts.setAccountDisabled(alice.account_id, true);
          const use = { counter: 1, device_type: 'multiDevice' as const, backed_up: true, last_used_at: '2025-01-01T00:00:00.000Z' };
          await expect(recordSignIn(accounts, scopeId, alice.account_id, aliceKey.credential_id, use)).resolves.toBe('account_disabled');
          await expect(accounts.findCredential(scopeId, aliceKey.credential_id)).resolves.toStrictEqual(aliceKey);
          await accounts.setAccountDisabled(alice.account_id, false);
          await expect(recordSignIn(accounts, scopeId, alice.account_id, aliceKey.credential_id, use)).resolves.toBe('recorded');
        });

        test('of concurrent sign-ins with the same counter exactly one is recorded', async () => {
          const use = { counter: 7, device_type: 'multiDevice' as const, backed_up: true, last_used_at: '2025-01-01T00:00:00.000Z' };
          const outcomes = await Promise.all(Array.from({ length: 5 }, () => recordSignIn(accounts, scopeId, alice.account_id, aliceKey.credential_id, use)));
          expect(outcomes.filter((outcome) => outcome === 'recorded')).toHaveLength(1);
          expect(outcomes.filter((outcome) => outcome === 'counter_regression')).toHaveLength(4);
        });

        test('the store\'s recordSignIn writes only while the counter is the expected one and the account enabled', async () => {
          const id = aliceKey.credential_id;
          const use = { counter: 3, device_type: 'singleDevice' as const, backed_up: false, last_used_at: '2025-01-01T00:00:00.000Z' };
          await expect(accounts.signInState(scopeId, alice.account_id, id)).resolves.toStrictEqual({ counter: 0, disabled: false });
          await expect(accounts.recordSignIn(scopeId, alice.account_id, id, use, 1)).resolves.toBe(false);
          await expect(accounts.findCredential(scopeId, id)).resolves.toStrictEqual(aliceKey);
          await expect(accounts.recordSignIn(scopeId, alice.account_id, id, use, 0)).resolves.toBe(true);
          await expect(accounts.signInState(scopeId, alice.account_id, id)).resolves.toStrictEqual({ counter: 3, disabled: false });
          await accounts.setAccountDisabled(alice.account_id, true);
          await expect(accounts.recordSignIn(scopeId, alice.account_id, id, { ...use, counter: 4 }, 3)).resolves.toBe(false);
          await expect(accounts.signInState(scopeId, alice.account_id, id)).resolves.toStrictEqual({ counter: 3, disabled: true });
          await expect(accounts.signInState(scopeId, bob.account_id, id)).resolves.toBeNull();
          await expect(accounts.signInState(otherScopeId, alice.account_id, id)).resolves.toBeNull();
        });

        test('recordSignIn stores its result token and audit rows with the sign-in, and none of them when it is not recorded', async () => {
          const id = aliceKey.credential_id;
          const now = '2025-01-01T00:00:00.000Z';
          const use = { counter: 3, device_type: 'singleDevice' as const, backed_up: false, last_used_at: now };
          const token = (hash: string) => ({
            token_hash: hash, scope_id: scopeId, kind: 'sign_in_result' as const, account_id: alice.account_id, user_id: null,
            payload: '{"credential_id":"x"}', created_at: now, expires_at: '2025-01-01T00:02:00.000Z',
          });
          const audit = (reason: string) => ({
            scope_id: scopeId, occurred_at: now, event: 'sign_in_succeeded' as const, account_id: alice.account_id,
            credential_id: id, reason, client_ip: null, request_id: null,
          });
          // A stale counter: nothing of it is written.
          await expect(accounts.recordSignIn(scopeId, alice.account_id, id, use, 1, [audit('stale')], token('hash-stale'))).resolves.toBe(false);
          await expect(harness.tokens.findToken('hash-stale', 'sign_in_result', scopeId, now)).resolves.toBeNull();
          // Recorded: the token and both audit rows with it (rows of two tables in one write).
          await expect(accounts.recordSignIn(scopeId, alice.account_id, id, use, 0, [audit('one'), audit('two')], token('hash-ok'))).resolves.toBe(true);
          await expect(harness.tokens.findToken('hash-ok', 'sign_in_result', scopeId, now)).resolves.toStrictEqual(token('hash-ok'));
          const logged = await harness.auditLog.listAuditEvents(scopeId, { limit: 10 });
          expect(logged.map((event) => event.reason).sort()).toEqual(['one', 'two']);
          // A token alone, without audit rows, is written too.
          await expect(accounts.recordSignIn(scopeId, alice.account_id, id, { ...use, counter: 4 }, 3, [], token('hash-alone'))).resolves.toBe(true);
          await expect(harness.tokens.findToken('hash-alone', 'sign_in_result', scopeId, now)).resolves.toMatchObject({ token_hash: 'hash-alone' });
          // A disabled account: refused, no token.
          await accounts.setAccountDisabled(alice.account_id, true);
          await expect(accounts.recordSignIn(scopeId, alice.account_id, id, { ...use, counter: 5 }, 4, [], token('hash-disabled'))).resolves.toBe(false);
          await expect(harness.tokens.findToken('hash-disabled', 'sign_in_result', scopeId, now)).resolves.toBeNull();
        });

        test('markCredentialPossiblyCloned sets the flag on that credential only', async () => {
          await expect(accounts.markCredentialPossiblyCloned(scopeId, aliceKey.credential_id)).resolves.toBe(true);
          await expect(accounts.findCredential(scopeId, aliceKey.credential_id)).resolves.toStrictEqual({
            ...aliceKey,
            possibly_cloned: true,
          });
          await expect(accounts.markCredentialPossiblyCloned(scopeId, aliceKey.credential_id)).resolves.toBe(true);
          await expect(accounts.findCredential(scopeId, bobKey.credential_id)).resolves.toStrictEqual(bobKey);
          await expect(accounts.markCredentialPossiblyCloned(scopeId, 'no-such-cred')).resolves.toBe(false);
          await expect(accounts.markCredentialPossiblyCloned(otherScopeId, bobKey.credential_id)).resolves.toBe(false);
          await expect(accounts.findCredential(scopeId, bobKey.credential_id)).resolves.toStrictEqual(bobKey);
        });
      });

      describe('renameCredential', () => {
        test('renames a credential of the account; the name round-trips unchanged', async () => {
          const name = 'Zoë’s iPhone 🔑';
          await expect(accounts.renameCredential(alice.account_id, aliceKey.credential_id, name)).resolves.toBe(true);
          await expect(accounts.findCredential(scopeId, aliceKey.credential_id)).resolves.toStrictEqual({ ...aliceKey, name });
          await expect(accounts.renameCredential(alice.account_id, aliceKey.credential_id, 'Second')).resolves.toBe(true);
          await expect(accounts.listCredentials(alice.account_id)).resolves.toStrictEqual([{ ...aliceKey, name: 'Second' }]);
        });

        test("another account's credential cannot be renamed", async () => {
          await expect(accounts.renameCredential(alice.account_id, bobKey.credential_id, 'stolen')).resolves.toBe(false);
          await expect(accounts.findCredential(scopeId, bobKey.credential_id)).resolves.toStrictEqual(bobKey);
        });

        test('an unknown credential or account is false', async () => {
          await expect(accounts.renameCredential(alice.account_id, 'no-such-cred', 'x')).resolves.toBe(false);
          await expect(accounts.renameCredential(randomUUID(), aliceKey.credential_id, 'x')).resolves.toBe(false);
          await expect(accounts.findCredential(scopeId, aliceKey.credential_id)).resolves.toStrictEqual(aliceKey);
        });
      });

      describe('deleteCredential', () => {
        test('deletes one of several credentials', async () => {
          const { account: carol, credentials } = await accountWith('carol', 3);
          const [first, second, third] = credentials;
          await expect(accounts.deleteCredential(carol.account_id, second!.credential_id)).resolves.toBe('deleted');
          await expect(accounts.findCredential(scopeId, second!.credential_id)).resolves.toBeNull();
          await expect(accounts.listCredentials(carol.account_id)).resolves.toStrictEqual([first, third]);
          await expect(accounts.deleteCredential(carol.account_id, second!.credential_id)).resolves.toBe('not_found');
        });

        test('the last credential is refused and kept', async () => {
          await expect(accounts.deleteCredential(alice.account_id, aliceKey.credential_id)).resolves.toBe('last_credential');
          await expect(accounts.listCredentials(alice.account_id)).resolves.toStrictEqual([aliceKey]);
        });

        test("another account's credential is not_found and kept", async () => {
          await accounts.addCredential(newCredential(alice, 'alice-1'), 10);
          await accounts.addCredential(newCredential(bob, 'bob-1'), 10);
          await expect(accounts.deleteCredential(alice.account_id, bobKey.credential_id)).resolves.toBe('not_found');
          await expect(accounts.findCredential(scopeId, bobKey.credential_id)).resolves.toStrictEqual(bobKey);
          await expect(accounts.listCredentials(bob.account_id)).resolves.toHaveLength(2);
        });

        test('an unknown credential or account is not_found', async () => {
          await expect(accounts.deleteCredential(alice.account_id, 'no-such-cred')).resolves.toBe('not_found');
          await expect(accounts.deleteCredential(randomUUID(), aliceKey.credential_id)).resolves.toBe('not_found');
          await expect(accounts.listCredentials(alice.account_id)).resolves.toStrictEqual([aliceKey]);
        });

        test('deleting both of two credentials concurrently leaves one, every time', async () => {
          for (let round = 0; round < 5; round += 1) {
            const { account, credentials } = await accountWith(`racer${round}`, 2);
            const results = await Promise.all(
              credentials.map((credential) => accounts.deleteCredential(account.account_id, credential.credential_id)),
            );
            expect([...results].sort()).toEqual(['deleted', 'last_credential']);
            const left = await accounts.listCredentials(account.account_id);
            expect(left).toHaveLength(1);
            // The survivor is the one whose delete was refused.
            expect(left[0]!.credential_id).toBe(credentials[results.indexOf('last_credential')]!.credential_id);
          }
        });
      });
    });

    describe('listAccounts and deleteAccount', () => {
      let scopeId: string;
      beforeEach(async () => {
        scopeId = (await scopes.createScope(newScope())).scope_id;
      });
      const make = async (scope: string, username: string) => {
        const account = newAccount(scope, username);
        await accounts.createAccountWithCredential(account, newCredential(account, `${username}-key-${randomUUID()}`));
        return account;
      };
      const names = (list: Account[]) => list.map((account) => account.username);

      test('pages one scope\'s accounts in username order, after a cursor and by prefix', async () => {
        for (const username of ['carol', 'alice', 'bob', 'alfred', 'émile', 'al_x']) await make(scopeId, username);
        await make((await scopes.createScope(newScope())).scope_id, 'aaron');
        const first = await accounts.listAccounts(scopeId, { after: '', prefix: '', limit: 2 });
        expect(first).toHaveLength(2);
        const all: Account[] = [...first];
        for (let page = first; page.length === 2; ) {
          page = await accounts.listAccounts(scopeId, { after: page[1]!.username, prefix: '', limit: 2 });
          all.push(...page);
        }
        // Each backend's own order, the same for the pages as for the whole.
        expect(names(all)).toEqual(names(await accounts.listAccounts(scopeId, { after: '', prefix: '', limit: 100 })));
        expect([...names(all)].sort()).toEqual(['al_x', 'alfred', 'alice', 'bob', 'carol', 'émile']);
        expect([...names(await accounts.listAccounts(scopeId, { after: '', prefix: 'al', limit: 100 }))].sort()).toEqual(['al_x', 'alfred', 'alice']);
        // The prefix is text, not a pattern: `_` and `%` match only themselves.
        expect(names(await accounts.listAccounts(scopeId, { after: '', prefix: 'al_', limit: 100 }))).toEqual(['al_x']);
        expect(names(await accounts.listAccounts(scopeId, { after: '', prefix: '%', limit: 100 }))).toEqual([]);
        expect(names(await accounts.listAccounts(scopeId, { after: '', prefix: 'é', limit: 100 }))).toEqual(['émile']);
        expect(await accounts.listAccounts(scopeId, { after: '', prefix: 'aaron', limit: 100 })).toEqual([]);
        await expect(accounts.listAccounts(scopeId, { after: '', prefix: '', limit: 0 })).rejects.toThrow(RangeError);
      });

      test('deletes an account with its passkeys and audit event, only through its own scope', async () => {
        const { account, credentials } = await createAccountWith(accounts, scopeId, 'doomed', 2);
        const other = (await scopes.createScope(newScope())).scope_id;
        const audit = {
          scope_id: scopeId, occurred_at: '2025-01-02T03:04:05.678Z', event: 'account_deleted' as const, account_id: account.account_id,
          credential_id: null, reason: 'admin', client_ip: null, request_id: null, identifier_hash: account.identifier_hash,
        };
        await expect(accounts.deleteAccount(other, account.account_id, { ...audit, scope_id: other })).resolves.toBe(false);
        await expect(accounts.getAccount(account.account_id)).resolves.toStrictEqual(account);

        await expect(accounts.deleteAccount(scopeId, account.account_id, audit)).resolves.toBe(true);
        await expect(accounts.getAccount(account.account_id)).resolves.toBeNull();
        await expect(accounts.findAccountByUsername(scopeId, 'doomed')).resolves.toBeNull();
        await expect(accounts.listCredentials(account.account_id)).resolves.toEqual([]);
        await expect(accounts.findCredential(scopeId, credentials[0]!.credential_id)).resolves.toBeNull();
        await expect(accounts.deleteAccount(scopeId, account.account_id, audit)).resolves.toBe(false);
        const logged = await harness.auditLog.listAuditEvents(scopeId, { limit: 10 });
        expect(logged.map((event) => [event.event, event.account_id, event.identifier_hash])).toEqual([['account_deleted', account.account_id, account.identifier_hash]]);
        expect(await harness.auditLog.listAuditEvents(other, { limit: 10 })).toEqual([]);
        // The username is free again: a new account may take it.
        await expect(make(scopeId, 'doomed')).resolves.toMatchObject({ username: 'doomed' });
      });

      test('a passkey added while the account is deleted goes with it or is refused: never left behind', async () => {
        for (let round = 0; round < 5; round += 1) {
          const { account } = await createAccountWith(accounts, scopeId, `racing-${round}`, 1);
          const [deleted, added] = await Promise.all([
            accounts.deleteAccount(scopeId, account.account_id),
            accounts.addCredential(newCredential(account, `late-${round}`), 10),
          ]);
          expect(deleted).toBe(true);
          expect(added.ok || (!added.ok && added.conflict === 'account_not_found')).toBe(true);
          await expect(accounts.findCredential(scopeId, `late-${round}`)).resolves.toBeNull();
          await expect(accounts.getAccount(account.account_id)).resolves.toBeNull();
        }
      });

      test('deletes a delegated account, one with a revoked session too', async () => {
        const account = newAccount(scopeId, 'delegated');
        await harness.delegates.createDelegatedAccount(account, 'key-1');
        await harness.sessions.revokeSession({ jti: randomUUID(), account_id: account.account_id, expires_at: '2999-01-01T00:00:00.000Z' }, '2025-01-01T00:00:00.000Z');
        await expect(accounts.deleteAccount(scopeId, account.account_id)).resolves.toBe(true);
        await expect(harness.delegates.findDelegatedAccount(scopeId, 'delegated', 'key-1')).resolves.toBeNull();
        await expect(accounts.getAccount(account.account_id)).resolves.toBeNull();
      });
    });

    test('ping answers while open; close resolves and ping then fails', async () => {
      await expect(database.ping()).resolves.toBeUndefined();
      await expect(database.close()).resolves.toBeUndefined();
      await expect(database.ping()).rejects.toThrow();
      await expect(database.close()).resolves.toBeUndefined();
    });
  });
}
