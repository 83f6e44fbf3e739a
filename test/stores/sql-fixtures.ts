/**
 * What the SQL store contracts share: a harness over one empty database, and rows to put in it.
 * The expected values of the contracts are literals, so passing on both backends proves they
 * return identical objects.
 */
import { randomUUID } from 'node:crypto';
import type { Account, Credential } from '../../src/domain/account.js';
import { scopeSettingsSchema, type NewScope, type ScopeSettingsInput } from '../../src/domain/scope.js';
import type { AccountStore } from '../../src/stores/account-store.js';
import { migrations as gatewayMigrations } from '../../src/stores/migrations.js';
import type { Backend, SqlStores } from '../../src/stores/open-stores.js';

export interface SqlStoresHarness extends SqlStores {
  /** The database the stores share, over an empty schema. */
  database: Backend;
  /**
   * Deletes an account's credentials behind the store's back: the store itself never leaves an
   * account without one, but its reads must still cope with such a row.
   */
  deleteCredentialsOf: (accountId: string) => Promise<void>;
  /** Releases everything makeStores created; must tolerate a database that was already closed. */
  cleanup: () => Promise<void>;
}

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
    user_id: null,
    second_factor_only: false,
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
    discoverable: null,
    authenticator_attachment: null,
    attestation_verified: false,
    ...overrides,
  };
}

/** Creates an account in `scopeId` holding `count` credentials named `${username}-0`, `${username}-1`, ... */
export async function accountWith(accounts: AccountStore, scopeId: string, username: string, count: number): Promise<{ account: Account; credentials: Credential[] }> {
  const account = newAccount(scopeId, username);
  const first = newCredential(account, `${username}-0`);
  const created = await accounts.createAccountWithCredential(account, first);
  if (!created.ok) throw new Error(`setup failed: ${created.conflict}`);
  const credentials = [first];
  for (let i = 1; i < count; i += 1) {
    const credential = newCredential(account, `${username}-${i}`);
    const added = await accounts.addCredential(credential, 100);
    if (!added.ok) throw new Error(`setup failed: ${added.conflict}`);
    credentials.push(credential);
  }
  return { account, credentials };
}

/** What schema_migrations holds once every migration of the gateway is applied, in order. */
export const appliedMigrations = gatewayMigrations.map(({ id, name }) => ({ id, name }));
