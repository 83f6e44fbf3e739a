/**
 * Behaviour the one-time token and recovery code stores must have, run unchanged against each SQL
 * backend (see sql-stores.test.ts): single use under concurrency, expiry, and the transaction a
 * registration uses a token up in.
 */
import { randomUUID } from 'node:crypto';
import type { OneTimeToken } from '../../src/domain/one-time-token.js';
import { newAccount, newCredential, newScope, type SqlStoresHarness } from './sql-fixtures.js';

export function runTokenStoreContract(name: string, makeStores: () => Promise<SqlStoresHarness> | SqlStoresHarness): void {
  describe(`${name} (TokenStore and RecoveryCodeStore contract)`, () => {
    let harness: SqlStoresHarness;
    let scopeId: string;
    const now = '2025-01-02T03:04:05.000Z';
    const later = '2025-01-02T03:14:05.000Z';

    beforeEach(async () => {
      harness = await makeStores();
      scopeId = (await harness.scopes.createScope(newScope())).scope_id;
    });
    afterEach(() => harness.cleanup());

    const token = (overrides: Partial<OneTimeToken> = {}): OneTimeToken => ({
      token_hash: randomUUID(),
      scope_id: scopeId,
      kind: 'registration',
      account_id: null,
      user_id: 'user-1',
      payload: '{"a":1}',
      created_at: now,
      expires_at: '2025-01-02T03:09:05.000Z',
      ...overrides,
    });

    it('should find a token until it expires, only by its kind and scope, and let one of many concurrent uses take it', async () => {
      const stored = token();
      await harness.tokens.createToken(stored);
      expect(await harness.tokens.findToken(stored.token_hash, 'registration', scopeId, now)).toEqual(stored);
      expect(await harness.tokens.findToken(stored.token_hash, 'sign_in', scopeId, now)).toBeNull();
      expect(await harness.tokens.findToken(stored.token_hash, 'registration', randomUUID(), now)).toBeNull();
      expect(await harness.tokens.findToken(stored.token_hash, 'registration', scopeId, later)).toBeNull();
      expect(await harness.tokens.consumeToken(stored.token_hash, 'registration', scopeId, later)).toBeNull();
      const uses = await Promise.all(Array.from({ length: 8 }, () => harness.tokens.consumeToken(stored.token_hash, 'registration', scopeId, now)));
      expect(uses.filter((use) => use !== null)).toEqual([stored]);
      expect(await harness.tokens.findToken(stored.token_hash, 'registration', scopeId, now)).toBeNull();
    });

    it('should sweep expired tokens when one is created, at most once a second (not on every creation)', async () => {
      const expired = token({ created_at: now, expires_at: '2025-01-02T03:04:05.200Z' });
      await harness.tokens.createToken(expired);
      const stillThere = () => harness.tokens.findToken(expired.token_hash, 'registration', scopeId, now);
      // Within a second of the last sweep, a creation leaves expired tokens be.
      await harness.tokens.createToken(token({ created_at: '2025-01-02T03:04:05.600Z' }));
      expect(await stillThere()).toEqual(expired);
      // A second later, the next creation sweeps them.
      const fresh = token({ created_at: '2025-01-02T03:04:06.000Z' });
      await harness.tokens.createToken(fresh);
      expect(await stillThere()).toBeNull();
      expect(await harness.tokens.findToken(fresh.token_hash, 'registration', scopeId, now)).toEqual(fresh);
    });

    it('should use a registration token up with the account it creates, and refuse the second of two', async () => {
      const stored = token();
      await harness.tokens.createToken(stored);
      const extras = { token: { token_hash: stored.token_hash, now }, recoveryCodeHashes: ['h1', 'h2'] };
      const first = newAccount(scopeId, 'first', { user_id: 'user-1' });
      const second = newAccount(scopeId, 'second', { user_id: 'user-2' });
      const results = await Promise.all([
        harness.accounts.createAccountWithCredential(first, newCredential(first, randomUUID()), undefined, extras),
        harness.accounts.createAccountWithCredential(second, newCredential(second, randomUUID()), undefined, extras),
      ]);
      expect(results.map((result) => (result.ok ? 'ok' : result.conflict)).sort()).toEqual(['ok', 'token_invalid']);
      const created = results[0]?.ok === true ? first : second;
      expect(await harness.recoveryCodes.countRecoveryCodes(created.account_id)).toBe(2);
      // The refused one left nothing behind.
      const refused = created === first ? second : first;
      expect(await harness.accounts.getAccount(refused.account_id)).toBeNull();
      expect(await harness.accounts.findAccountByUserId(scopeId, created.user_id!)).toEqual(expect.objectContaining({ account_id: created.account_id }));
    });

    it('should keep a token when the passkey it would add is refused, and refuse a user id taken in the scope', async () => {
      const account = newAccount(scopeId, 'owner', { user_id: 'owner-id' });
      const credential = newCredential(account, 'cred-1');
      await harness.accounts.createAccountWithCredential(account, credential);
      const stored = token({ account_id: account.account_id });
      await harness.tokens.createToken(stored);
      const extras = { token: { token_hash: stored.token_hash, now } };
      expect(await harness.accounts.addCredential(newCredential(account, 'cred-1'), 10, undefined, extras)).toEqual({ ok: false, conflict: 'credential_exists' });
      expect(await harness.accounts.addCredential(newCredential(account, 'cred-2'), 1, undefined, extras)).toEqual({ ok: false, conflict: 'too_many_credentials' });
      expect(await harness.tokens.findToken(stored.token_hash, 'registration', scopeId, now)).not.toBeNull();
      expect((await harness.accounts.addCredential(newCredential(account, 'cred-2'), 10, undefined, extras)).ok).toBe(true);
      expect(await harness.accounts.addCredential(newCredential(account, 'cred-3'), 10, undefined, extras)).toEqual({ ok: false, conflict: 'token_invalid' });
      const twin = newAccount(scopeId, 'twin', { user_id: 'owner-id' });
      expect(await harness.accounts.createAccountWithCredential(twin, newCredential(twin, 'cred-t'))).toEqual({ ok: false, conflict: 'account_exists' });
    });

    it('should use each recovery code once, count what remains, and replace the whole set', async () => {
      const account = newAccount(scopeId, 'coder');
      await harness.accounts.createAccountWithCredential(account, newCredential(account, 'c'), undefined, { recoveryCodeHashes: ['a', 'b', 'c'] });
      const uses = await Promise.all([1, 2, 3].map(() => harness.recoveryCodes.useRecoveryCode(account.account_id, 'a')));
      expect(uses.filter((use) => use !== null)).toEqual([2]);
      expect(await harness.recoveryCodes.useRecoveryCode(randomUUID(), 'b')).toBeNull();
      expect(await harness.recoveryCodes.replaceRecoveryCodes(scopeId, account.account_id, ['x', 'y'], now)).toBe(true);
      expect(await harness.recoveryCodes.useRecoveryCode(account.account_id, 'b')).toBeNull();
      expect(await harness.recoveryCodes.useRecoveryCode(account.account_id, 'x')).toBe(1);
      expect(await harness.recoveryCodes.replaceRecoveryCodes(randomUUID(), account.account_id, ['z'], now)).toBe(false);
    });
  });
}
