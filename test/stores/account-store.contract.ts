/**
 * Behaviour every AccountStore must have, run unchanged against each backend. The expected values
 * are literals, so passing on both backends proves they return identical objects.
 */
import { randomUUID } from 'node:crypto';
import type { Account, AccountStore, Credential, NewScope } from '../../src/stores/account-store.js';
import { scopeSettingsSchema, type ScopeSettingsInput } from '../../src/scopes/scope.js';

export interface AccountStoreHarness {
  /** A store over an empty database. */
  store: AccountStore;
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
        };
        await expect(store.createAccountWithCredential(account, credential)).resolves.toStrictEqual({
          ok: true,
          account: expectedAccount,
          credential: expectedCredential,
        });
        await expect(store.findAccountByUsername(scopeId, 'alice')).resolves.toStrictEqual(expectedAccount);
        await expect(store.findCredential(scopeId, 'cred-1')).resolves.toStrictEqual(expectedCredential);
        await expect(store.listCredentials('acc-1')).resolves.toStrictEqual([expectedCredential]);
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

    test('ping answers while open; close resolves and ping then fails', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await expect(store.close()).resolves.toBeUndefined();
      await expect(store.ping()).rejects.toThrow();
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
}
