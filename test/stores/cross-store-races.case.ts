import type { AccountStore } from '../../src/stores/account-store.js';
import { newAccount, newCredential } from './sql-fixtures.js';

/**
 * Two stores on one database (two pools, or two handles on one file) racing on one account:
 * eight additions with a limit of three, then deleting all three at once. Exactly two additions
 * and two deletions win, and the account keeps one passkey.
 */
export async function expectLimitsHoldAcrossStores(a: AccountStore, b: AccountStore, scopeId: string, name: string): Promise<void> {
  const account = newAccount(scopeId, name);
  await a.createAccountWithCredential(account, newCredential(account, `${name}-0`));
  const added = await Promise.all(
    Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).addCredential(newCredential(account, `${name}-${i + 1}`), 3)),
  );
  expect(added.filter((result) => result.ok)).toHaveLength(2);
  expect(added.filter((result) => !result.ok && result.conflict === 'too_many_credentials')).toHaveLength(6);
  const ids = (await b.listCredentials(account.account_id)).map((credential) => credential.credential_id);
  expect(ids).toHaveLength(3);
  const deleted = await Promise.all(ids.map((id, i) => (i % 2 === 0 ? a : b).deleteCredential(account.account_id, id)));
  expect([...deleted].sort()).toEqual(['deleted', 'deleted', 'last_credential']);
  await expect(a.listCredentials(account.account_id)).resolves.toHaveLength(1);
}
