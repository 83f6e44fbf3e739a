import type { SqlStores } from '../../src/stores/open-stores.js';
import { newCredential } from './sql-fixtures.js';

/**
 * What both SQL backends must show after upgrading a database that only had migration 1 and held
 * one account ('old-account', user 'olga') with one credential ('old-cred') in scope 'old-scope'.
 */
export async function expectUpgradedFromMigrationOne({ scopes, accounts }: SqlStores): Promise<void> {
  // Each later migration's defaults: migration 7's Level 3 settings leave an old scope as it was.
  await expect(scopes.getScope('old-scope')).resolves.toMatchObject({
    session_ttl: 3600,
    backup_eligibility: 'any',
    hints: [],
    top_origins: [],
    aaguid_allow: [],
    aaguid_deny: [],
    // Migration 10: recovery codes on, second-factor sessions refused as primary ones.
    recovery_codes: 'on',
    second_factor_sessions: 'refused',
  });
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
    // Migration 10: accounts from before app user ids have none.
    user_id: null,
    second_factor_only: false,
  };
  await expect(accounts.getAccount('old-account')).resolves.toStrictEqual(expectedAccount);
  await expect(accounts.findAccountByUsername('old-scope', 'olga')).resolves.toStrictEqual(expectedAccount);
  await expect(accounts.findCredential('old-scope', 'old-cred')).resolves.toStrictEqual({
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
    // Registered before migration 7: nothing reported, attestation not verified.
    discoverable: null,
    authenticator_attachment: null,
    attestation_verified: false,
  });
  // The old account takes part in the new operations ('old-cred': 8 base64url characters, 6 bytes).
  await expect(accounts.credentialShapes('old-scope', 500, '2099-01-01T00:00:00.000Z')).resolves.toStrictEqual([[{ id_length: 6, transports: ['usb'] }]]);
  const old = (await accounts.getAccount('old-account'))!;
  await expect(accounts.addCredential(newCredential(old, 'new-cred'), 10)).resolves.toMatchObject({ ok: true });
  await expect(accounts.deleteCredential('old-account', 'old-cred')).resolves.toBe('deleted');
  await expect(scopes.updateScope('old-scope', { session_ttl: 120 })).resolves.toMatchObject({ session_ttl: 120 });
}
