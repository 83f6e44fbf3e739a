/**
 * Behaviour every AccountStore must have, run unchanged against each backend. The expected values
 * are literals, so passing on both backends proves they return identical objects.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEventName } from '../../src/domain/audit-event.js';
import type { Account, Credential } from '../../src/domain/account.js';
import type { AccountStore } from '../../src/stores/account-store.js';
import { scopeSettingsSchema, type NewScope, type ScopeSettingsInput } from '../../src/domain/scope.js';

export interface AccountStoreHarness {
  /** A store over an empty database. */
  store: AccountStore;
  /**
   * Deletes an account's credentials behind the store's back: the store itself never leaves an
   * account without one, but its reads must still cope with such a row.
   */
  deleteCredentialsOf: (accountId: string) => Promise<void>;
  /** Releases everything makeStore created; must tolerate a store that was already closed. */
  cleanup: () => Promise<void>;
}

const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function newScope(settings: Partial<ScopeSettingsInput> = {}): NewScope {
  const parsed = scopeSettingsSchema.parse({
    name: 'Example',
    rp_id: 'example.com',
    origins: ['https://example.com'],
    ...settings,
  });
  return { ...parsed, scope_id: randomUUID(), rp_name: parsed.rp_name ?? parsed.name };
}

export function newAccount(scopeId: string, username: string, overrides: Partial<Account> = {}): Account {
  return {
    account_id: randomUUID(),
    scope_id: scopeId,
    username,
    display_name: `Display ${username}`,
    user_handle: randomUUID().replaceAll('-', ''),
    identifier_hash: `hash-${username}`,
    public_key: `02${'ab'.repeat(32)}`,
    address: `0x${'cd'.repeat(20)}`,
    disabled: false,
    created_at: '2025-01-02T03:04:05.678Z',
    ...overrides,
  };
}

export function newCredential(account: Account, credentialId: string, overrides: Partial<Credential> = {}): Credential {
  return {
    credential_id: credentialId,
    account_id: account.account_id,
    scope_id: account.scope_id,
    public_key: 'pQECAyYgASFYIGx1c3RyYXRpdmUta2V5',
    algorithm: -7,
    counter: 0,
    transports: ['internal', 'hybrid'],
    aaguid: '00000000-0000-0000-0000-000000000000',
    device_type: 'multiDevice',
    backed_up: true,
    created_at: '2025-01-02T03:04:05.678Z',
    last_used_at: null,
    name: null,
    possibly_cloned: false,
    ...overrides,
  };
}

export function runAccountStoreContract(name: string, makeStore: () => Promise<AccountStoreHarness>): void {
  describe(`${name} (AccountStore contract)`, () => {
    let harness: AccountStoreHarness;
    let store: AccountStore;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    describe('scopes', () => {
      test('createScope stores the zod defaults and stamps both timestamps', async () => {
        const input = newScope();
        const created = await store.createScope(input);
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
        await expect(store.getScope(input.scope_id)).resolves.toStrictEqual(created);
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
        const created = await store.createScope(input);
        expect(created).toStrictEqual({ ...input, created_at: created.created_at, updated_at: created.updated_at });
      });

      test('getScope and updateScope of an unknown id are null', async () => {
        await expect(store.getScope(randomUUID())).resolves.toBeNull();
        await expect(store.updateScope(randomUUID(), { name: 'x' })).resolves.toBeNull();
      });

      test('listScopes returns every scope', async () => {
        await expect(store.listScopes()).resolves.toEqual([]);
        const a = await store.createScope(newScope({ name: 'A' }));
        const b = await store.createScope(newScope({ name: 'B' }));
        const listed = await store.listScopes();
        const byId = (x: { scope_id: string }, y: { scope_id: string }) => x.scope_id.localeCompare(y.scope_id);
        expect([...listed].sort(byId)).toStrictEqual([a, b].sort(byId));
      });

      test('updateScope changes only the given fields and keeps created_at', async () => {
        const created = await store.createScope(newScope());
        const updated = await store.updateScope(created.scope_id, {
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
        await expect(store.getScope(created.scope_id)).resolves.toStrictEqual(updated);
      });

      test('updateScope changes session_ttl alone', async () => {
        const created = await store.createScope(newScope());
        const updated = await store.updateScope(created.scope_id, { session_ttl: 900 });
        expect(updated).toStrictEqual({ ...created, session_ttl: 900, updated_at: updated?.updated_at });
        await expect(store.getScope(created.scope_id)).resolves.toMatchObject({ session_ttl: 900 });
        await expect(store.listScopes()).resolves.toMatchObject([{ session_ttl: 900 }]);
      });

      test('scopesVersion is null when empty and changes on every write, even within a millisecond', async () => {
        await expect(store.scopesVersion()).resolves.toBeNull();
        const scope = await store.createScope(newScope());
        const versions = [await store.scopesVersion()];
        await store.updateScope(scope.scope_id, { name: 'one' });
        versions.push(await store.scopesVersion());
        await store.updateScope(scope.scope_id, { name: 'two' });
        versions.push(await store.scopesVersion());
        await store.updateScope(scope.scope_id, {});
        versions.push(await store.scopesVersion());
        await store.createScope(newScope());
        versions.push(await store.scopesVersion());
        expect(versions.every((v) => typeof v === 'string')).toBe(true);
        expect(new Set(versions).size).toBe(versions.length);
        // Unchanged data, unchanged version: pollers must not see phantom changes.
        await expect(store.scopesVersion()).resolves.toBe(versions.at(-1));
      });
    });

    describe('accounts and credentials', () => {
      let scopeId: string;
      let otherScopeId: string;

      beforeEach(async () => {
        scopeId = (await store.createScope(newScope())).scope_id;
        otherScopeId = (await store.createScope(newScope({ name: 'Other' }))).scope_id;
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
        };
        await expect(store.createAccountWithCredential(account, credential)).resolves.toStrictEqual({
          ok: true,
          account: expectedAccount,
          credential: expectedCredential,
        });
        await expect(store.findAccountByUsername(scopeId, 'alice')).resolves.toStrictEqual(expectedAccount);
        await expect(store.findCredential(scopeId, 'cred-1')).resolves.toStrictEqual(expectedCredential);
        await expect(store.listCredentials('acc-1')).resolves.toStrictEqual([expectedCredential]);
        await expect(store.getAccount('acc-1')).resolves.toStrictEqual(expectedAccount);
      });

      test('createAccountWithCredential stores non-default flags, name and last use', async () => {
        const account = newAccount(scopeId, 'flags', { disabled: true });
        const credential = newCredential(account, 'cred-flags', {
          last_used_at: '2025-03-04T06:06:07+01:00',
          name: 'Work laptop ✓',
          possibly_cloned: true,
        });
        const result = await store.createAccountWithCredential(account, credential);
        const expectedCredential = { ...credential, last_used_at: '2025-03-04T05:06:07.000Z' };
        expect(result).toStrictEqual({ ok: true, account, credential: expectedCredential });
        await expect(store.getAccount(account.account_id)).resolves.toStrictEqual(account);
        await expect(store.findCredential(scopeId, 'cred-flags')).resolves.toStrictEqual(expectedCredential);
      });

      test('timestamps come back in canonical UTC ISO-8601 form', async () => {
        const account = newAccount(scopeId, 'tz', { created_at: '2025-06-01T12:00:00+02:00' });
        const credential = newCredential(account, 'cred-tz', { created_at: '2025-06-01T10:00:00.5Z' });
        const result = await store.createAccountWithCredential(account, credential);
        expect(result.ok && result.account.created_at).toBe('2025-06-01T10:00:00.000Z');
        expect(result.ok && result.credential.created_at).toBe('2025-06-01T10:00:00.500Z');
        await expect(store.findAccountByUsername(scopeId, 'tz')).resolves.toMatchObject({
          created_at: '2025-06-01T10:00:00.000Z',
        });
      });

      test('a taken username is account_exists and writes no credential', async () => {
        const first = newAccount(scopeId, 'bob');
        await store.createAccountWithCredential(first, newCredential(first, 'cred-bob-1'));
        const second = newAccount(scopeId, 'bob');
        await expect(
          store.createAccountWithCredential(second, newCredential(second, 'cred-bob-2')),
        ).resolves.toStrictEqual({ ok: false, conflict: 'account_exists' });
        await expect(store.findCredential(scopeId, 'cred-bob-2')).resolves.toBeNull();
        await expect(store.listCredentials(second.account_id)).resolves.toEqual([]);
        await expect(store.findAccountByUsername(scopeId, 'bob')).resolves.toMatchObject({
          account_id: first.account_id,
        });
      });

      test('a registered credential id in the same scope is credential_exists and writes no account', async () => {
        const first = newAccount(scopeId, 'carol');
        await store.createAccountWithCredential(first, newCredential(first, 'shared-cred'));
        const second = newAccount(scopeId, 'dave');
        await expect(
          store.createAccountWithCredential(second, newCredential(second, 'shared-cred')),
        ).resolves.toStrictEqual({ ok: false, conflict: 'credential_exists' });
        await expect(store.findAccountByUsername(scopeId, 'dave')).resolves.toBeNull();
        // The refused attempt left the username free: a retry with a fresh credential succeeds.
        await expect(
          store.createAccountWithCredential(second, newCredential(second, 'dave-cred')),
        ).resolves.toMatchObject({ ok: true });
      });

      test('the same credential id and username may exist in another scope', async () => {
        const here = newAccount(scopeId, 'erin');
        const there = newAccount(otherScopeId, 'erin');
        await expect(store.createAccountWithCredential(here, newCredential(here, 'cred-x'))).resolves.toMatchObject({ ok: true });
        await expect(store.createAccountWithCredential(there, newCredential(there, 'cred-x'))).resolves.toMatchObject({ ok: true });
        await expect(store.findCredential(scopeId, 'cred-x')).resolves.toMatchObject({ account_id: here.account_id });
        await expect(store.findCredential(otherScopeId, 'cred-x')).resolves.toMatchObject({ account_id: there.account_id });
      });

      test('findAccountByUsername compares exactly within one scope', async () => {
        const account = newAccount(scopeId, 'frank');
        await store.createAccountWithCredential(account, newCredential(account, 'cred-frank'));
        await expect(store.findAccountByUsername(scopeId, 'frank')).resolves.toMatchObject({ account_id: account.account_id });
        await expect(store.findAccountByUsername(scopeId, 'Frank')).resolves.toBeNull();
        await expect(store.findAccountByUsername(scopeId, 'frank ')).resolves.toBeNull();
        await expect(store.findAccountByUsername(otherScopeId, 'frank')).resolves.toBeNull();
      });

      test('findCredential is scoped and listCredentials is per account', async () => {
        const account = newAccount(scopeId, 'grace');
        const credential = newCredential(account, 'cred-grace');
        await store.createAccountWithCredential(account, credential);
        await expect(store.findCredential(otherScopeId, 'cred-grace')).resolves.toBeNull();
        await expect(store.findCredential(scopeId, 'no-such-cred')).resolves.toBeNull();
        await expect(store.listCredentials(account.account_id)).resolves.toStrictEqual([credential]);
        await expect(store.listCredentials(randomUUID())).resolves.toEqual([]);
      });

      test('ten concurrent registrations of one username: exactly one succeeds', async () => {
        const attempts = Array.from({ length: 10 }, (_, i) => {
          const account = newAccount(scopeId, 'heidi');
          return { account, credential: newCredential(account, `cred-heidi-${i}`) };
        });
        const results = await Promise.all(
          attempts.map(({ account, credential }) => store.createAccountWithCredential(account, credential)),
        );
        const winners = results.filter((result) => result.ok);
        expect(winners).toHaveLength(1);
        expect(results.filter((result) => !result.ok)).toEqual(
          Array.from({ length: 9 }, () => ({ ok: false, conflict: 'account_exists' })),
        );
        const stored = await Promise.all(attempts.map(({ credential }) => store.findCredential(scopeId, credential.credential_id)));
        expect(stored.filter((credential) => credential !== null)).toHaveLength(1);
      });

      test('errors other than the two conflicts are thrown, not mapped', async () => {
        // Unknown scope: a foreign-key violation is a caller bug, not a conflict. (Matched by shape,
        // not toThrow(): better-sqlite3's native error class may come from another jest module registry.)
        const account = newAccount(randomUUID(), 'ivan');
        await expect(
          store.createAccountWithCredential(account, newCredential(account, 'cred-ivan')),
        ).rejects.toMatchObject({ message: expect.any(String) });
        await expect(store.findAccountByUsername(account.scope_id, 'ivan')).resolves.toBeNull();
      });
    });

    describe('account and credential management', () => {
      let scopeId: string;
      let otherScopeId: string;
      let alice: Account;
      let aliceKey: Credential;
      let bob: Account;
      let bobKey: Credential;

      /** Creates an account holding `count` credentials named `${username}-0`, `${username}-1`, ... */
      async function accountWith(username: string, count: number, scope = scopeId) {
        const account = newAccount(scope, username);
        const first = newCredential(account, `${username}-0`);
        const created = await store.createAccountWithCredential(account, first);
        if (!created.ok) throw new Error(`setup failed: ${created.conflict}`);
        const credentials = [first];
        for (let i = 1; i < count; i += 1) {
          const credential = newCredential(account, `${username}-${i}`);
          const added = await store.addCredential(credential, 100);
          if (!added.ok) throw new Error(`setup failed: ${added.conflict}`);
          credentials.push(credential);
        }
        return { account, credentials };
      }

      beforeEach(async () => {
        scopeId = (await store.createScope(newScope())).scope_id;
        otherScopeId = (await store.createScope(newScope({ name: 'Other' }))).scope_id;
        const a = await accountWith('alice', 1);
        [alice, aliceKey] = [a.account, a.credentials[0]!];
        const b = await accountWith('bob', 1);
        [bob, bobKey] = [b.account, b.credentials[0]!];
      });

      test('getAccount reads an account by id; an unknown id is null', async () => {
        await expect(store.getAccount(alice.account_id)).resolves.toStrictEqual(alice);
        await expect(store.getAccount(randomUUID())).resolves.toBeNull();
      });

      test('setAccountDisabled round-trips the flag and is false for an unknown account', async () => {
        await expect(store.setAccountDisabled(alice.account_id, true)).resolves.toBe(true);
        await expect(store.getAccount(alice.account_id)).resolves.toStrictEqual({ ...alice, disabled: true });
        await expect(store.findAccountByUsername(scopeId, 'alice')).resolves.toMatchObject({ disabled: true });
        // Setting the value it already has still finds the account.
        await expect(store.setAccountDisabled(alice.account_id, true)).resolves.toBe(true);
        await expect(store.getAccount(bob.account_id)).resolves.toMatchObject({ disabled: false });
        await expect(store.setAccountDisabled(alice.account_id, false)).resolves.toBe(true);
        await expect(store.getAccount(alice.account_id)).resolves.toStrictEqual(alice);
        await expect(store.setAccountDisabled(randomUUID(), true)).resolves.toBe(false);
      });

      describe('sign-in reads (one round trip each)', () => {
        test('findCredentialWithAccount returns the credential and its account, as findCredential and getAccount do', async () => {
          await expect(store.findCredentialWithAccount(scopeId, aliceKey.credential_id)).resolves.toStrictEqual({ credential: aliceKey, account: alice });
          await expect(store.findCredentialWithAccount(scopeId, bobKey.credential_id)).resolves.toStrictEqual({ credential: bobKey, account: bob });
          const { account: carol, credentials } = await accountWith('carol', 3);
          await store.recordSignIn(scopeId, carol.account_id, credentials[1]!.credential_id, { counter: 9, device_type: 'multiDevice' as const, backed_up: false, last_used_at: '2025-02-03T04:05:06.7+01:00' });
          await store.markCredentialPossiblyCloned(scopeId, credentials[1]!.credential_id);
          await store.renameCredential(carol.account_id, credentials[1]!.credential_id, 'Zoë’s key');
          await store.setAccountDisabled(carol.account_id, true);
          for (const { credential_id } of credentials) {
            await expect(store.findCredentialWithAccount(scopeId, credential_id)).resolves.toStrictEqual({
              credential: await store.findCredential(scopeId, credential_id),
              account: { ...carol, disabled: true },
            });
          }
          await expect(store.findCredentialWithAccount(scopeId, credentials[1]!.credential_id)).resolves.toMatchObject({
            credential: { counter: 9, backed_up: false, last_used_at: '2025-02-03T03:05:06.700Z', possibly_cloned: true, name: 'Zoë’s key' },
          });
        });

        test('findCredentialWithAccount of an unknown credential, or one of another scope, is null', async () => {
          await expect(store.findCredentialWithAccount(scopeId, 'no-such-cred')).resolves.toBeNull();
          await expect(store.findCredentialWithAccount(otherScopeId, aliceKey.credential_id)).resolves.toBeNull();
          await expect(store.findCredentialWithAccount(randomUUID(), aliceKey.credential_id)).resolves.toBeNull();
        });

        test('findAccountWithCredentials returns an account with its one credential', async () => {
          await expect(store.findAccountWithCredentials(scopeId, 'alice')).resolves.toStrictEqual({ account: alice, credentials: [aliceKey] });
          await expect(store.findAccountWithCredentials(scopeId, 'bob')).resolves.toStrictEqual({ account: bob, credentials: [bobKey] });
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
          await expect(store.addCredential(early, 10)).resolves.toMatchObject({ ok: true });
          const expected = { account: carol, credentials: [early, ...credentials] };
          await expect(store.findAccountWithCredentials(scopeId, 'carol')).resolves.toStrictEqual(expected);
          await expect(store.listCredentials(carol.account_id)).resolves.toStrictEqual(expected.credentials);
        });

        test('findAccountWithCredentials returns an account without credentials with an empty list', async () => {
          await harness.deleteCredentialsOf(alice.account_id);
          await expect(store.findAccountWithCredentials(scopeId, 'alice')).resolves.toStrictEqual({ account: alice, credentials: [] });
          await expect(store.findCredentialWithAccount(scopeId, aliceKey.credential_id)).resolves.toBeNull();
          await expect(store.findAccountWithCredentials(scopeId, 'bob')).resolves.toStrictEqual({ account: bob, credentials: [bobKey] });
        });

        test('findAccountWithCredentials compares usernames exactly within one scope; no match is null', async () => {
          await expect(store.findAccountWithCredentials(scopeId, 'nobody')).resolves.toBeNull();
          await expect(store.findAccountWithCredentials(scopeId, 'Alice')).resolves.toBeNull();
          await expect(store.findAccountWithCredentials(scopeId, 'alice ')).resolves.toBeNull();
          await expect(store.findAccountWithCredentials(otherScopeId, 'alice')).resolves.toBeNull();
          await expect(store.findAccountWithCredentials(randomUUID(), 'alice')).resolves.toBeNull();
        });

        test('both reads show a disabled account as disabled', async () => {
          await store.setAccountDisabled(alice.account_id, true);
          const disabled = { ...alice, disabled: true };
          await expect(store.findAccountWithCredentials(scopeId, 'alice')).resolves.toStrictEqual({ account: disabled, credentials: [aliceKey] });
          await expect(store.findCredentialWithAccount(scopeId, aliceKey.credential_id)).resolves.toStrictEqual({ credential: aliceKey, account: disabled });
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
          await expect(store.createAccountWithCredential(account, first!)).resolves.toMatchObject({ ok: true });
          for (const credential of more) await expect(store.addCredential(credential, 10)).resolves.toMatchObject({ ok: true });
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
          await expect(store.credentialShapes(scopeId, 2, LATER)).resolves.toStrictEqual([dave, carol]);
          await expect(store.credentialShapes(scopeId, 500, LATER)).resolves.toStrictEqual([dave, carol, ...older.map(({ shape }) => shape)]);
          await expect(store.credentialShapes(otherScopeId, 500, LATER)).resolves.toStrictEqual([[{ id_length: 48, transports: ['internal', 'hybrid'] }]]);
        });

        test('breaks ties in creation time by account id, newest sample first', async () => {
          const at = '2025-06-01T00:00:00.000Z';
          const first = await accountAt('frank', at, [{ credential_id: idOf(20, 6) }]);
          const second = await accountAt('grace', at, [{ credential_id: idOf(40, 7) }]);
          const [higher, lower] = first.account_id > second.account_id ? [20, 40] : [40, 20];
          const shapes = await store.credentialShapes(scopeId, 2, LATER);
          expect(shapes.map((shape) => shape[0]?.id_length)).toEqual([higher, lower]);
        });

        test('holds only accounts created before the cutoff', async () => {
          await accountAt('henry', '2025-04-01T00:00:00.000Z', [{ credential_id: idOf(32, 8), transports: ['usb'] }]);
          await accountAt('iris', '2025-05-01T00:00:00.000Z', [{ credential_id: idOf(16, 9), transports: ['nfc'] }]);
          await expect(store.credentialShapes(scopeId, 1, '2025-05-01T00:00:00.000Z')).resolves.toStrictEqual([[{ id_length: 32, transports: ['usb'] }]]);
          await expect(store.credentialShapes(scopeId, 1, '2025-05-01T00:00:00.001Z')).resolves.toStrictEqual([[{ id_length: 16, transports: ['nfc'] }]]);
        });

        test('leaves out accounts without passkeys; a scope without accounts has none', async () => {
          await harness.deleteCredentialsOf(alice.account_id);
          await expect(store.credentialShapes(scopeId, 500, LATER)).resolves.toStrictEqual([[{ id_length: 3, transports: ['internal', 'hybrid'] }]]);
          await expect(store.credentialShapes(otherScopeId, 500, LATER)).resolves.toStrictEqual([]);
          await expect(store.credentialShapes(randomUUID(), 500, LATER)).resolves.toStrictEqual([]);
        });

        test('refuses a limit that is not a positive integer', async () => {
          for (const limit of [0, -1, 1.5]) await expect(store.credentialShapes(scopeId, limit, LATER)).rejects.toThrow(RangeError);
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
          };
          await expect(store.addCredential(credential, 10)).resolves.toStrictEqual({ ok: true, credential: expected });
          await expect(store.findCredential(scopeId, 'alice-new')).resolves.toStrictEqual(expected);
          await expect(store.listCredentials(alice.account_id)).resolves.toStrictEqual([aliceKey, expected]);
        });

        test('a credential id taken in the scope, by any account, is credential_exists', async () => {
          await expect(store.addCredential(newCredential(alice, aliceKey.credential_id), 10)).resolves.toStrictEqual({
            ok: false,
            conflict: 'credential_exists',
          });
          await expect(store.addCredential(newCredential(alice, bobKey.credential_id), 10)).resolves.toStrictEqual({
            ok: false,
            conflict: 'credential_exists',
          });
          await expect(store.listCredentials(alice.account_id)).resolves.toStrictEqual([aliceKey]);
          await expect(store.findCredential(scopeId, bobKey.credential_id)).resolves.toStrictEqual(bobKey);
        });

        test('the same credential id in another scope is fine', async () => {
          const { account: carol } = await accountWith('carol', 1, otherScopeId);
          await expect(store.addCredential(newCredential(carol, aliceKey.credential_id), 10)).resolves.toMatchObject({
            ok: true,
          });
        });

        test('an unknown account, or one in another scope, is account_not_found', async () => {
          const ghost = newAccount(scopeId, 'ghost');
          await expect(store.addCredential(newCredential(ghost, 'ghost-cred'), 10)).resolves.toStrictEqual({
            ok: false,
            conflict: 'account_not_found',
          });
          const elsewhere = newCredential(alice, 'wrong-scope', { scope_id: otherScopeId });
          await expect(store.addCredential(elsewhere, 10)).resolves.toStrictEqual({
            ok: false,
            conflict: 'account_not_found',
          });
          await expect(store.findCredential(scopeId, 'ghost-cred')).resolves.toBeNull();
          await expect(store.findCredential(otherScopeId, 'wrong-scope')).resolves.toBeNull();
        });

        test('an account at the limit is too_many_credentials', async () => {
          await expect(store.addCredential(newCredential(alice, 'alice-1'), 2)).resolves.toMatchObject({ ok: true });
          await expect(store.addCredential(newCredential(alice, 'alice-2'), 2)).resolves.toStrictEqual({
            ok: false,
            conflict: 'too_many_credentials',
          });
          await expect(store.addCredential(newCredential(alice, 'alice-2'), 1)).resolves.toStrictEqual({
            ok: false,
            conflict: 'too_many_credentials',
          });
          await expect(store.listCredentials(alice.account_id)).resolves.toHaveLength(2);
          // The limit is per account.
          await expect(store.addCredential(newCredential(bob, 'bob-1'), 2)).resolves.toMatchObject({ ok: true });
        });

        test('a limit below 1 or not an integer is refused', async () => {
          for (const limit of [0, -1, 1.5, Number.NaN]) {
            await expect(store.addCredential(newCredential(alice, 'never'), limit)).rejects.toThrow(RangeError);
          }
          await expect(store.findCredential(scopeId, 'never')).resolves.toBeNull();
        });

        test('eight concurrent adds to an account holding 1 of 3: exactly two succeed', async () => {
          const results = await Promise.all(
            Array.from({ length: 8 }, (_, i) => store.addCredential(newCredential(alice, `race-${i}`), 3)),
          );
          expect(results.filter((result) => result.ok)).toHaveLength(2);
          expect(results.filter((result) => !result.ok)).toEqual(
            Array.from({ length: 6 }, () => ({ ok: false, conflict: 'too_many_credentials' })),
          );
          await expect(store.listCredentials(alice.account_id)).resolves.toHaveLength(3);
        });
      });

      describe('recordSignIn and markCredentialPossiblyCloned', () => {
        test('recordSignIn stores counter, backup state and canonical last use, nothing else', async () => {
          const use = { counter: 5, device_type: 'multiDevice' as const, backed_up: false, last_used_at: '2025-07-08T11:12:13.5+02:00' };
          await expect(store.recordSignIn(scopeId, alice.account_id, aliceKey.credential_id, use)).resolves.toBe('recorded');
          const expected: Credential = {
            ...aliceKey,
            counter: 5,
            backed_up: false,
            last_used_at: '2025-07-08T09:12:13.500Z',
          };
          await expect(store.findCredential(scopeId, aliceKey.credential_id)).resolves.toStrictEqual(expected);
          await expect(store.listCredentials(alice.account_id)).resolves.toStrictEqual([expected]);
          await expect(store.findCredential(scopeId, bobKey.credential_id)).resolves.toStrictEqual(bobKey);
        });

        test('a counter that does not grow is a counter_regression and changes nothing, a drop to 0 included; 0 forever is fine', async () => {
          const id = aliceKey.credential_id;
          const use = (counter: number, day: number) => ({ counter, device_type: 'multiDevice' as const, backed_up: true, last_used_at: `2025-01-0${day}T00:00:00.000Z` });
          // An authenticator without a counter (synced passkeys) sends 0 every time: recorded each time.
          await expect(store.recordSignIn(scopeId, alice.account_id, id, use(0, 1))).resolves.toBe('recorded');
          await expect(store.recordSignIn(scopeId, alice.account_id, id, use(0, 1))).resolves.toBe('recorded');
          await expect(store.recordSignIn(scopeId, alice.account_id, id, use(10, 1))).resolves.toBe('recorded');
          await expect(store.recordSignIn(scopeId, alice.account_id, id, use(9, 2))).resolves.toBe('counter_regression');
          await expect(store.recordSignIn(scopeId, alice.account_id, id, use(10, 2))).resolves.toBe('counter_regression');
          // WebAuthn L3 §7.2: once either counter is non-zero, a new one that is not greater is a regression.
          await expect(store.recordSignIn(scopeId, alice.account_id, id, use(0, 3))).resolves.toBe('counter_regression');
          await expect(store.findCredential(scopeId, id)).resolves.toMatchObject({ counter: 10, last_used_at: '2025-01-01T00:00:00.000Z' });
          // Large counters (up to 2^32 - 1) survive the round trip as numbers.
          await expect(store.recordSignIn(scopeId, alice.account_id, id, use(4_294_967_295, 4))).resolves.toBe('recorded');
          await expect(store.findCredential(scopeId, id)).resolves.toMatchObject({ counter: 4_294_967_295 });
          await expect(store.recordSignIn(scopeId, alice.account_id, id, use(4_294_967_295, 5))).resolves.toBe('counter_regression');
        });

        test('recordSignIn of an unknown credential, another scope\'s or another account\'s, is not_found', async () => {
          const use = { counter: 1, device_type: 'multiDevice' as const, backed_up: true, last_used_at: '2025-01-01T00:00:00.000Z' };
          await expect(store.recordSignIn(scopeId, alice.account_id, 'no-such-cred', use)).resolves.toBe('not_found');
          await expect(store.recordSignIn(otherScopeId, alice.account_id, aliceKey.credential_id, use)).resolves.toBe('not_found');
          await expect(store.recordSignIn(scopeId, bob.account_id, aliceKey.credential_id, use)).resolves.toBe('not_found');
          await expect(store.findCredential(scopeId, aliceKey.credential_id)).resolves.toStrictEqual(aliceKey);
        });

        test('recordSignIn for a disabled account is account_disabled and changes nothing', async () => {
          await store.setAccountDisabled(alice.account_id, true);
          const use = { counter: 1, device_type: 'multiDevice' as const, backed_up: true, last_used_at: '2025-01-01T00:00:00.000Z' };
          await expect(store.recordSignIn(scopeId, alice.account_id, aliceKey.credential_id, use)).resolves.toBe('account_disabled');
          await expect(store.findCredential(scopeId, aliceKey.credential_id)).resolves.toStrictEqual(aliceKey);
          await store.setAccountDisabled(alice.account_id, false);
          await expect(store.recordSignIn(scopeId, alice.account_id, aliceKey.credential_id, use)).resolves.toBe('recorded');
        });

        test('of concurrent sign-ins with the same counter exactly one is recorded', async () => {
          const use = { counter: 7, device_type: 'multiDevice' as const, backed_up: true, last_used_at: '2025-01-01T00:00:00.000Z' };
          const outcomes = await Promise.all(Array.from({ length: 5 }, () => store.recordSignIn(scopeId, alice.account_id, aliceKey.credential_id, use)));
          expect(outcomes.filter((outcome) => outcome === 'recorded')).toHaveLength(1);
          expect(outcomes.filter((outcome) => outcome === 'counter_regression')).toHaveLength(4);
        });

        test('markCredentialPossiblyCloned sets the flag on that credential only', async () => {
          await expect(store.markCredentialPossiblyCloned(scopeId, aliceKey.credential_id)).resolves.toBe(true);
          await expect(store.findCredential(scopeId, aliceKey.credential_id)).resolves.toStrictEqual({
            ...aliceKey,
            possibly_cloned: true,
          });
          await expect(store.markCredentialPossiblyCloned(scopeId, aliceKey.credential_id)).resolves.toBe(true);
          await expect(store.findCredential(scopeId, bobKey.credential_id)).resolves.toStrictEqual(bobKey);
          await expect(store.markCredentialPossiblyCloned(scopeId, 'no-such-cred')).resolves.toBe(false);
          await expect(store.markCredentialPossiblyCloned(otherScopeId, bobKey.credential_id)).resolves.toBe(false);
          await expect(store.findCredential(scopeId, bobKey.credential_id)).resolves.toStrictEqual(bobKey);
        });
      });

      describe('session state: sessionState, revokeSession, endSessions', () => {
        const revocation = (jti: string, accountId: string, expiresAt = '2099-01-01T00:00:00.000Z') => ({ jti, account_id: accountId, expires_at: expiresAt });
        const now = '2025-06-01T00:00:00.000Z';

        test('sessionState reads the account with its passkey\'s creation time, no revocation and no end', async () => {
          await expect(store.sessionState(alice.account_id, aliceKey.credential_id, randomUUID())).resolves.toStrictEqual({
            account: alice,
            credential_created_at: aliceKey.created_at,
            revoked: false,
            sessions_valid_after: null,
          });
        });

        test('sessionState is null for an unknown account; a passkey of another account, or deleted, has no creation time', async () => {
          await expect(store.sessionState(randomUUID(), aliceKey.credential_id, randomUUID())).resolves.toBeNull();
          await expect(store.sessionState(alice.account_id, bobKey.credential_id, randomUUID())).resolves.toMatchObject({ credential_created_at: null });
          const { account: carol, credentials } = await accountWith('carol', 2);
          await store.deleteCredential(carol.account_id, credentials[0]!.credential_id);
          await expect(store.sessionState(carol.account_id, credentials[0]!.credential_id, randomUUID())).resolves.toMatchObject({ credential_created_at: null });
          await expect(store.sessionState(carol.account_id, credentials[1]!.credential_id, randomUUID())).resolves.toMatchObject({ credential_created_at: credentials[1]!.created_at });
        });

        test('a revoked jti reads as revoked, for that jti only; revoking twice is harmless', async () => {
          const jti = randomUUID();
          await store.revokeSession(revocation(jti, alice.account_id), now);
          await store.revokeSession(revocation(jti, alice.account_id), now);
          await expect(store.sessionState(alice.account_id, aliceKey.credential_id, jti)).resolves.toMatchObject({ revoked: true });
          await expect(store.sessionState(alice.account_id, aliceKey.credential_id, randomUUID())).resolves.toMatchObject({ revoked: false });
        });

        test('revocations that expired are swept by a later revocation, live ones are kept', async () => {
          const [expired, live] = [randomUUID(), randomUUID()];
          await store.revokeSession(revocation(expired, alice.account_id, '2025-01-01T00:00:00.000Z'), '2024-12-31T00:00:00.000Z');
          await store.revokeSession(revocation(live, alice.account_id), '2024-12-31T00:00:00.000Z');
          await store.revokeSession(revocation(randomUUID(), bob.account_id), now);
          await expect(store.sessionState(alice.account_id, aliceKey.credential_id, expired)).resolves.toMatchObject({ revoked: false });
          await expect(store.sessionState(alice.account_id, aliceKey.credential_id, live)).resolves.toMatchObject({ revoked: true });
        });

        test('endSessions stores the time, never moves it back, and is false for an unknown account', async () => {
          await expect(store.endSessions(alice.account_id, '2025-06-01T00:00:02+00:00')).resolves.toBe(true);
          await expect(store.sessionState(alice.account_id, aliceKey.credential_id, randomUUID())).resolves.toMatchObject({ sessions_valid_after: '2025-06-01T00:00:02.000Z' });
          await expect(store.endSessions(alice.account_id, '2025-06-01T00:00:01.000Z')).resolves.toBe(true);
          await expect(store.sessionState(alice.account_id, aliceKey.credential_id, randomUUID())).resolves.toMatchObject({ sessions_valid_after: '2025-06-01T00:00:02.000Z' });
          await expect(store.endSessions(alice.account_id, '2025-06-01T00:00:03.000Z')).resolves.toBe(true);
          await expect(store.sessionState(alice.account_id, aliceKey.credential_id, randomUUID())).resolves.toMatchObject({ sessions_valid_after: '2025-06-01T00:00:03.000Z' });
          await expect(store.sessionState(bob.account_id, bobKey.credential_id, randomUUID())).resolves.toMatchObject({ sessions_valid_after: null });
          await expect(store.endSessions(randomUUID(), now)).resolves.toBe(false);
          // The account itself is unchanged.
          await expect(store.getAccount(alice.account_id)).resolves.toStrictEqual(alice);
        });

        test('recordSignIn stores the device type the assertion shows', async () => {
          const use = { counter: 1, device_type: 'singleDevice' as const, backed_up: false, last_used_at: now };
          await expect(store.recordSignIn(scopeId, alice.account_id, aliceKey.credential_id, use)).resolves.toBe('recorded');
          await expect(store.findCredential(scopeId, aliceKey.credential_id)).resolves.toMatchObject({ device_type: 'singleDevice', backed_up: false });
        });
      });

      describe('renameCredential', () => {
        test('renames a credential of the account; the name round-trips unchanged', async () => {
          const name = 'Zoë’s iPhone 🔑';
          await expect(store.renameCredential(alice.account_id, aliceKey.credential_id, name)).resolves.toBe(true);
          await expect(store.findCredential(scopeId, aliceKey.credential_id)).resolves.toStrictEqual({ ...aliceKey, name });
          await expect(store.renameCredential(alice.account_id, aliceKey.credential_id, 'Second')).resolves.toBe(true);
          await expect(store.listCredentials(alice.account_id)).resolves.toStrictEqual([{ ...aliceKey, name: 'Second' }]);
        });

        test("another account's credential cannot be renamed", async () => {
          await expect(store.renameCredential(alice.account_id, bobKey.credential_id, 'stolen')).resolves.toBe(false);
          await expect(store.findCredential(scopeId, bobKey.credential_id)).resolves.toStrictEqual(bobKey);
        });

        test('an unknown credential or account is false', async () => {
          await expect(store.renameCredential(alice.account_id, 'no-such-cred', 'x')).resolves.toBe(false);
          await expect(store.renameCredential(randomUUID(), aliceKey.credential_id, 'x')).resolves.toBe(false);
          await expect(store.findCredential(scopeId, aliceKey.credential_id)).resolves.toStrictEqual(aliceKey);
        });
      });

      describe('deleteCredential', () => {
        test('deletes one of several credentials', async () => {
          const { account: carol, credentials } = await accountWith('carol', 3);
          const [first, second, third] = credentials;
          await expect(store.deleteCredential(carol.account_id, second!.credential_id)).resolves.toBe('deleted');
          await expect(store.findCredential(scopeId, second!.credential_id)).resolves.toBeNull();
          await expect(store.listCredentials(carol.account_id)).resolves.toStrictEqual([first, third]);
          await expect(store.deleteCredential(carol.account_id, second!.credential_id)).resolves.toBe('not_found');
        });

        test('the last credential is refused and kept', async () => {
          await expect(store.deleteCredential(alice.account_id, aliceKey.credential_id)).resolves.toBe('last_credential');
          await expect(store.listCredentials(alice.account_id)).resolves.toStrictEqual([aliceKey]);
        });

        test("another account's credential is not_found and kept", async () => {
          await store.addCredential(newCredential(alice, 'alice-1'), 10);
          await store.addCredential(newCredential(bob, 'bob-1'), 10);
          await expect(store.deleteCredential(alice.account_id, bobKey.credential_id)).resolves.toBe('not_found');
          await expect(store.findCredential(scopeId, bobKey.credential_id)).resolves.toStrictEqual(bobKey);
          await expect(store.listCredentials(bob.account_id)).resolves.toHaveLength(2);
        });

        test('an unknown credential or account is not_found', async () => {
          await expect(store.deleteCredential(alice.account_id, 'no-such-cred')).resolves.toBe('not_found');
          await expect(store.deleteCredential(randomUUID(), aliceKey.credential_id)).resolves.toBe('not_found');
          await expect(store.listCredentials(alice.account_id)).resolves.toStrictEqual([aliceKey]);
        });

        test('deleting both of two credentials concurrently leaves one, every time', async () => {
          for (let round = 0; round < 5; round += 1) {
            const { account, credentials } = await accountWith(`racer${round}`, 2);
            const results = await Promise.all(
              credentials.map((credential) => store.deleteCredential(account.account_id, credential.credential_id)),
            );
            expect([...results].sort()).toEqual(['deleted', 'last_credential']);
            const left = await store.listCredentials(account.account_id);
            expect(left).toHaveLength(1);
            // The survivor is the one whose delete was refused.
            expect(left[0]!.credential_id).toBe(credentials[results.indexOf('last_credential')]!.credential_id);
          }
        });
      });
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
      });

      test('appends events and lists one scope\'s in insertion order with growing ids', async () => {
        const a = await store.createScope(newScope());
        const b = await store.createScope(newScope());
        await store.appendAuditEvent(event(a.scope_id, 1, '2025-01-01T00:00:02.000Z'));
        await store.appendAuditEvent(event(b.scope_id, 2, '2025-01-01T00:00:01.000Z'));
        await store.appendAuditEvent(event(a.scope_id, 3, '2025-01-01T00:00:01.000Z'));
        const listed = await store.listAuditEvents(a.scope_id, { limit: 10 });
        expect(listed.map(({ event_id: _id, ...rest }) => rest)).toStrictEqual([
          event(a.scope_id, 1, '2025-01-01T00:00:02.000Z'),
          event(a.scope_id, 3, '2025-01-01T00:00:01.000Z'),
        ]);
        expect(listed[1]!.event_id).toBeGreaterThan(listed[0]!.event_id);
      });

      test('pages with afterId and limit, and filters by since', async () => {
        const scope = await store.createScope(newScope());
        for (let n = 1; n <= 5; n += 1) await store.appendAuditEvent(event(scope.scope_id, n, `2025-01-01T00:00:0${n}.000Z`));
        const first = await store.listAuditEvents(scope.scope_id, { limit: 2 });
        expect(first.map((e) => e.request_id)).toEqual(['request-1', 'request-2']);
        const next = await store.listAuditEvents(scope.scope_id, { limit: 2, afterId: first[1]!.event_id });
        expect(next.map((e) => e.request_id)).toEqual(['request-3', 'request-4']);
        const recent = await store.listAuditEvents(scope.scope_id, { limit: 10, since: '2025-01-01T00:00:04.000Z' });
        expect(recent.map((e) => e.request_id)).toEqual(['request-4', 'request-5']);
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
      });
      const loggedEvents = async (scopeId: string) =>
        (await store.listAuditEvents(scopeId, { limit: 100 })).map(({ event_id: _id, ...rest }) => rest);

      test('createAccountWithCredential writes its audit event with the account, and none when refused', async () => {
        const scope = await store.createScope(newScope());
        const account = newAccount(scope.scope_id, 'audited');
        const created = await store.createAccountWithCredential(account, newCredential(account, 'cred-a'), changeEvent(account, 'cred-a', 'registration', 1));
        expect(created).toMatchObject({ ok: true, account: { account_id: account.account_id }, credential: { credential_id: 'cred-a' } });
        const taken = newAccount(scope.scope_id, 'audited');
        await expect(
          store.createAccountWithCredential(taken, newCredential(taken, 'cred-b'), changeEvent(taken, 'cred-b', 'registration', 2)),
        ).resolves.toStrictEqual({ ok: false, conflict: 'account_exists' });
        const reused = newAccount(scope.scope_id, 'other');
        await expect(
          store.createAccountWithCredential(reused, newCredential(reused, 'cred-a'), changeEvent(reused, 'cred-a', 'registration', 3)),
        ).resolves.toStrictEqual({ ok: false, conflict: 'credential_exists' });
        expect(await loggedEvents(scope.scope_id)).toStrictEqual([changeEvent(account, 'cred-a', 'registration', 1)]);
        expect(await store.findAccountByUsername(scope.scope_id, 'other')).toBeNull();
      });

      test('addCredential writes its audit event only when the passkey is added', async () => {
        const scope = await store.createScope(newScope());
        const account = newAccount(scope.scope_id, 'adder');
        await store.createAccountWithCredential(account, newCredential(account, 'first'));
        await expect(store.addCredential(newCredential(account, 'second'), 10, changeEvent(account, 'second', 'credential_added', 1))).resolves.toMatchObject({ ok: true });
        await expect(store.addCredential(newCredential(account, 'third'), 2, changeEvent(account, 'third', 'credential_added', 2))).resolves.toStrictEqual({
          ok: false,
          conflict: 'too_many_credentials',
        });
        expect(await loggedEvents(scope.scope_id)).toStrictEqual([changeEvent(account, 'second', 'credential_added', 1)]);
      });

      test('recordSignIn writes every audit event it is given with the sign-in, in order', async () => {
        const scope = await store.createScope(newScope());
        const account = newAccount(scope.scope_id, 'flipper');
        await store.createAccountWithCredential(account, newCredential(account, 'key'));
        const use = { counter: 0, device_type: 'singleDevice' as const, backed_up: false, last_used_at: '2025-01-01T00:00:01.000Z' };
        const events = [changeEvent(account, 'key', 'sign_in_succeeded', 1), { ...changeEvent(account, 'key', 'credential_backup_changed', 2), reason: 'be:1->0 bs:1->0' }];
        await expect(store.recordSignIn(scope.scope_id, account.account_id, 'key', use, events)).resolves.toBe('recorded');
        expect(await loggedEvents(scope.scope_id)).toStrictEqual(events);
      });

      test('revokeSession and endSessions write their audit events with the change', async () => {
        const scope = await store.createScope(newScope());
        const account = newAccount(scope.scope_id, 'leaver');
        await store.createAccountWithCredential(account, newCredential(account, 'key'));
        const jti = randomUUID();
        const revocation = { jti, account_id: account.account_id, expires_at: '2099-01-01T00:00:00.000Z' };
        await store.revokeSession(revocation, '2025-01-01T00:00:00.000Z', changeEvent(account, 'key', 'sign_out', 1));
        // Already revoked: nothing changes, nothing is logged.
        await store.revokeSession(revocation, '2025-01-01T00:00:00.000Z', changeEvent(account, 'key', 'sign_out', 2));
        await expect(store.endSessions(account.account_id, '2025-01-01T00:00:01.000Z', changeEvent(account, null, 'sessions_revoked', 3))).resolves.toBe(true);
        await expect(store.endSessions(randomUUID(), '2025-01-01T00:00:01.000Z', changeEvent(account, null, 'sessions_revoked', 4))).resolves.toBe(false);
        expect(await loggedEvents(scope.scope_id)).toStrictEqual([changeEvent(account, 'key', 'sign_out', 1), changeEvent(account, null, 'sessions_revoked', 3)]);
      });

      test('rename, flag, disable and delete write their audit events only when they change something', async () => {
        const scope = await store.createScope(newScope());
        const account = newAccount(scope.scope_id, 'manager');
        await store.createAccountWithCredential(account, newCredential(account, 'one'));
        await store.addCredential(newCredential(account, 'two'), 10);
        const event = (name: AuditEventName, credentialId: string | null, n: number) => changeEvent(account, credentialId, name, n);
        await expect(store.renameCredential(account.account_id, 'one', 'Laptop', event('credential_renamed', 'one', 1))).resolves.toBe(true);
        await expect(store.renameCredential(account.account_id, 'none', 'x', event('credential_renamed', 'none', 2))).resolves.toBe(false);
        await expect(store.markCredentialPossiblyCloned(scope.scope_id, 'two', event('counter_regression', 'two', 3))).resolves.toBe(true);
        await expect(store.markCredentialPossiblyCloned(scope.scope_id, 'none', event('counter_regression', 'none', 4))).resolves.toBe(false);
        await expect(store.setAccountDisabled(account.account_id, true, event('account_disabled', null, 5))).resolves.toBe(true);
        await expect(store.setAccountDisabled('no-such-account', true, event('account_disabled', null, 6))).resolves.toBe(false);
        await expect(store.deleteCredential(account.account_id, 'two', event('credential_deleted', 'two', 7))).resolves.toBe('deleted');
        await expect(store.deleteCredential(account.account_id, 'one', event('credential_deleted', 'one', 8))).resolves.toBe('last_credential');
        await expect(store.deleteCredential(account.account_id, 'two', event('credential_deleted', 'two', 9))).resolves.toBe('not_found');
        expect(await loggedEvents(scope.scope_id)).toStrictEqual([
          event('credential_renamed', 'one', 1),
          event('counter_regression', 'two', 3),
          event('account_disabled', null, 5),
          event('credential_deleted', 'two', 7),
        ]);
      });

      test('recordSignIn writes its audit event only when the sign-in is recorded', async () => {
        const scope = await store.createScope(newScope());
        const account = newAccount(scope.scope_id, 'signer');
        await store.createAccountWithCredential(account, newCredential(account, 'key'));
        const use = { counter: 3, device_type: 'multiDevice' as const, backed_up: true, last_used_at: '2025-01-01T00:00:01.000Z' };
        const event = (n: number) => changeEvent(account, 'key', 'sign_in_succeeded', n);
        await expect(store.recordSignIn(scope.scope_id, account.account_id, 'key', use, [event(1)])).resolves.toBe('recorded');
        await expect(store.recordSignIn(scope.scope_id, account.account_id, 'gone', use, [event(2)])).resolves.toBe('not_found');
        await expect(store.recordSignIn(scope.scope_id, account.account_id, 'key', use, [event(3)])).resolves.toBe('counter_regression');
        await store.setAccountDisabled(account.account_id, true);
        await expect(store.recordSignIn(scope.scope_id, account.account_id, 'key', { ...use, counter: 4 }, [event(4)])).resolves.toBe('account_disabled');
        expect(await loggedEvents(scope.scope_id)).toStrictEqual([event(1)]);
        await expect(store.findCredential(scope.scope_id, 'key')).resolves.toMatchObject({ counter: 3 });
      });
    });

    test('ping answers while open; close resolves and ping then fails', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await expect(store.close()).resolves.toBeUndefined();
      await expect(store.ping()).rejects.toThrow();
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
}
