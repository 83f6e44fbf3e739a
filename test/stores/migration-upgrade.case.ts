import type { AccountStore } from '../../src/stores/account-store.js';
import { newCredential } from './account-store.contract.js';

/**
 * What both SQL backends must show after upgrading a database that only had migration 1 and held
 * one account ('old-account', user 'olga') with one credential ('old-cred') in scope 'old-scope'.
 */
export async function expectUpgradedFromMigrationOne(store: AccountStore): Promise<void> {
  await expect(store.getScope('old-scope')).resolves.toMatchObject({ session_ttl: 3600 });
  const expectedAccount = {
    account_id: 'old-account',
    scope_id: 'old-scope',
    username: 'olga',
    display_name: 'Olga',
    user_handle: 'aGFuZGxl',
    identifier_hash: 'hash-olga',
    public_key: '',
    address: '',
    disabled: false,
    created_at: '2025-01-01T00:00:01.000Z',
  };
  await expect(store.getAccount('old-account')).resolves.toStrictEqual(expectedAccount);
  await expect(store.findAccountByUsername('old-scope', 'olga')).resolves.toStrictEqual(expectedAccount);
  await expect(store.findCredential('old-scope', 'old-cred')).resolves.toStrictEqual({
    credential_id: 'old-cred',
    account_id: 'old-account',
    scope_id: 'old-scope',
    public_key: 'cGs',
    algorithm: -7,
    counter: 3,
    transports: ['usb'],
    aaguid: 'aaguid',
    device_type: 'singleDevice',
    backed_up: false,
    created_at: '2025-01-01T00:00:02.000Z',
    last_used_at: null,
    name: null,
    possibly_cloned: false,
  });
  // The old account takes part in the new operations ('old-cred': 8 base64url characters, 6 bytes).
  await expect(store.credentialShapes('old-scope', 500, '2099-01-01T00:00:00.000Z')).resolves.toStrictEqual([[{ id_length: 6, transports: ['usb'] }]]);
  const old = (await store.getAccount('old-account'))!;
  await expect(store.addCredential(newCredential(old, 'new-cred'), 10)).resolves.toMatchObject({ ok: true });
  await expect(store.deleteCredential('old-account', 'old-cred')).resolves.toBe('deleted');
  await expect(store.updateScope('old-scope', { session_ttl: 120 })).resolves.toMatchObject({ session_ttl: 120 });
}
