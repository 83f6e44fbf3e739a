import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { loadSessionKeyRing } from '../../src/keys/session-key-ring.js';
import { scopeSchema } from '../../src/domain/scope.js';
import { createSessionService } from '../../src/sessions/session-service.js';
import type { Account, Credential } from '../../src/domain/account.js';
import { sqlStores } from '../../src/stores/open-stores.js';
import { openSqliteDatabase } from '../../src/sql/sqlite-database.js';
import { migrations } from '../../src/stores/migrations.js';

const scope = scopeSchema.parse({
  scope_id: '6f0d1c3e-8a4b-4c5d-9e6f-0a1b2c3d4e5f',
  name: 's',
  rp_id: 'localhost',
  rp_name: 's',
  origins: ['http://localhost:8788'],
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
});
const account: Account = {
  account_id: '0b7b3c2e-5d1a-4f6e-8a9b-1c2d3e4f5a6b',
  scope_id: scope.scope_id,
  username: 'alice',
  display_name: 'Alice',
  user_handle: 'aGFuZGxl',
  identifier_hash: '0xabc',
  public_key: '02'.padEnd(66, '1'),
  address: '0x'.padEnd(42, '2'),
  user_id: null,
  second_factor_only: false,
  disabled: false,
  created_at: '2026-01-01T00:00:00.000Z',
};
const credential: Credential = {
  credential_id: 'cred',
  account_id: account.account_id,
  scope_id: scope.scope_id,
  public_key: 'pQECAyYgASFYIGx1c3RyYXRpdmUta2V5',
  algorithm: -7,
  counter: 0,
  transports: [],
  aaguid: '00000000-0000-0000-0000-000000000000',
  device_type: 'singleDevice',
  backed_up: false,
  created_at: '2026-01-01T00:00:00.000Z',
  last_used_at: null,
  name: null,
  possibly_cloned: false,
  discoverable: null,
  authenticator_attachment: null,
  attestation_verified: false,
};
const thumbprint = 'client-key-thumbprint';

/** Stores holding the account and its passkey, for the session check to read. */
async function accountsWithAccount() {
  const database = openSqliteDatabase(':memory:', { migrations });
  const stores = sqlStores(database);
  // A Scope is a NewScope with timestamps, which the store sets itself.
  await stores.scopes.createScope(scope);
  await stores.accounts.createAccountWithCredential(account, credential);
  return { ...stores, database };
}

describe('session keys and tokens', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pkgw-session-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should generate a P-256 key on first start with mode 0600 and keep it', async () => {
    const first = await loadSessionKeyRing({ keyFile: join(dir, 'session.pem'), previousKeyFiles: [] });
    expect(statSync(join(dir, 'session.pem')).mode & 0o777).toBe(0o600);
    expect(first.current.jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: first.current.kid });
    expect(first.current.jwk).not.toHaveProperty('d');
    expect((await loadSessionKeyRing({ keyFile: join(dir, 'session.pem'), previousKeyFiles: [] })).current.kid).toBe(first.current.kid);
  });

  it('should keep verifying sessions signed by a previous key after rotation', async () => {
    const accounts = await accountsWithAccount();
    const old = await loadSessionKeyRing({ keyFile: join(dir, 'old.pem'), previousKeyFiles: [] });
    const jwt = createSessionService({ keys: old, issuer: 'pkgw', sessionStore: accounts.sessions, now: Date.now }).issue(account, 'cred', scope, thumbprint, true);
    const rotated = await loadSessionKeyRing({ keyFile: join(dir, 'new.pem'), previousKeyFiles: [join(dir, 'old.pem')] });
    const service = createSessionService({ keys: rotated, issuer: 'pkgw', sessionStore: accounts.sessions, now: Date.now });
    expect((await service.check(jwt, { scopeId: scope.scope_id })).claims.account_id).toBe(account.account_id);
    expect(service.jwks().keys.map((key) => key.kid)).toEqual([rotated.current.kid, old.current.kid]);

    const forgotten = createSessionService({ keys: await loadSessionKeyRing({ keyFile: join(dir, 'new.pem'), previousKeyFiles: [] }), issuer: 'pkgw', sessionStore: accounts.sessions, now: Date.now });
    await expect(forgotten.check(jwt)).rejects.toMatchObject({ reason: 'session_invalid' });
    await accounts.database.close();
  });

  it('should refuse another issuer, another audience, another client key and an expired session', async () => {
    const accounts = await accountsWithAccount();
    const keys = await loadSessionKeyRing({ keyFile: join(dir, 'k.pem'), previousKeyFiles: [] });
    let now = Date.now();
    const service = createSessionService({ keys, issuer: 'pkgw', sessionStore: accounts.sessions, now: () => now });
    const jwt = service.issue(account, 'cred', scope, thumbprint, true);
    await expect(service.check(jwt, { scopeId: scope.scope_id, clientKeyThumbprint: thumbprint })).resolves.toMatchObject({ claims: { cnf: { jkt: thumbprint } } });
    const other = createSessionService({ keys, issuer: 'someone-else', sessionStore: accounts.sessions, now: () => now });
    await expect(other.check(jwt)).rejects.toBeInstanceOf(GatewayError);
    await expect(service.check(jwt, { scopeId: 'another-scope' })).rejects.toMatchObject({ reason: 'session_invalid' });
    await expect(service.check(jwt, { clientKeyThumbprint: 'another-key' })).rejects.toMatchObject({ reason: 'session_invalid' });
    now += scope.session_ttl * 1000 + 1000;
    await expect(service.check(jwt, { scopeId: scope.scope_id })).rejects.toMatchObject({ reason: 'session_invalid' });
    await accounts.database.close();
  });
});
