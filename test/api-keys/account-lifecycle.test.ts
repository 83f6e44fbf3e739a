import { randomUUID } from 'node:crypto';
import { open, RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { adminCall } from '../admin/admin-rpc.js';
import { describeForBackends } from '../support/backends.js';
import { completeAuthentication, initiateAuthentication, register, sessionCall, signIn } from '../support/ceremonies.js';
import type { Harness } from '../support/gateway-harness.js';
import { match } from '../support/match.js';
import { createKey, serverCall, startWithAdminToken } from './server-rpc.js';

const platform = () => new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });

interface Page {
  accounts: { account_id: string; username: string }[];
  next_cursor: string | null;
}

describeForBackends('account lifecycle for apps and operators', (backend) => {
  let harness: Harness;
  let token: string;
  let started: Awaited<ReturnType<typeof startWithAdminToken>>;
  beforeAll(async () => {
    started = await startWithAdminToken(backend);
    ({ harness, token } = started);
  });
  afterAll(() => started.close());

  /** A new scope with a key of its own. */
  const scopeWithKey = async () => {
    const scopeId = (await harness.createScope()).scope_id;
    return { scopeId, ...(await createKey(harness.url, token, scopeId)) };
  };
  const signedInAccount = async (scopeId: string, username = `user-${randomUUID().slice(0, 8)}`) => {
    const client = new RpcClient(harness.url, scopeId, harness.publicKey);
    const authenticator = platform();
    const registered = await register(client, authenticator, username);
    return { username, account_id: registered.account_id, identifier_hash: registered.identifier_hash, client, authenticator, session: await signIn(client, authenticator, username) };
  };

  it('should page the accounts of the key\'s scope only, in username order, by prefix', async () => {
    const { scopeId, secret } = await scopeWithKey();
    const other = await scopeWithKey();
    for (const username of ['carol', 'alice', 'bob', 'alfred', 'Albert']) await signedInAccount(scopeId, username);
    await signedInAccount(other.scopeId, 'alien');

    const usernames: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = (await serverCall<Page>(harness.url, 'listAccounts', { limit: 2, ...(cursor === undefined ? {} : { cursor }) }, secret)).result!;
      expect(page.accounts.length).toBeLessThanOrEqual(2);
      usernames.push(...page.accounts.map((account) => account.username));
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
    }
    expect([...usernames].sort()).toEqual(['albert', 'alfred', 'alice', 'bob', 'carol']);
    expect(new Set(usernames).size).toBe(5);

    const byPrefix = await serverCall<Page>(harness.url, 'listAccounts', { username_prefix: 'AL' }, secret);
    expect(byPrefix.result!.accounts.map((account) => account.username).sort()).toEqual(['albert', 'alfred', 'alice']);
    expect(byPrefix.result!.next_cursor).toBeNull();
    expect(byPrefix.result!.accounts[0]).toEqual({ account_id: match.any(String), username: match.any(String), display_name: match.any(String), identifier_hash: match.stringMatching(/^0x[0-9a-f]{64}$/), user_id: null, disabled: false, created_at: match.any(String) });

    // The operator names the scope; the other scope's key sees only its own account.
    const asAdmin = await serverCall<Page>(harness.url, 'listAccounts', { scope_id: scopeId, limit: 200 }, token);
    expect(asAdmin.result!.accounts).toHaveLength(5);
    expect((await serverCall<Page>(harness.url, 'listAccounts', {}, other.secret)).result!.accounts.map((account) => account.username)).toEqual(['alien']);
    expect((await serverCall(harness.url, 'listAccounts', { scope_id: scopeId }, other.secret)).error?.data).toBe('scope_mismatch');

    for (const params of [{ limit: 0 }, { limit: 201 }, { cursor: '***' }, { cursor: 'AA' }, { cursor: Buffer.from('Alice').toString('base64url') }, { username_prefix: '' }, { username_prefix: 'a\0' }, { username_prefix: 'a\n' }, { cursor: Buffer.from('a\u0001').toString('base64url') }]) {
      expect((await serverCall(harness.url, 'listAccounts', params, secret)).error?.data).toBe('invalid_params');
    }
  });

  it('should find an account by id or username, never one of another scope', async () => {
    const { scopeId, secret } = await scopeWithKey();
    const other = await scopeWithKey();
    const { username, account_id, identifier_hash } = await signedInAccount(scopeId);
    const found = await serverCall(harness.url, 'findAccount', { username: username.toUpperCase() }, secret);
    expect(found.result).toEqual({
      account_id, scope_id: scopeId, username, user_id: null, display_name: username, identifier_hash, user_handle: match.any(String),
      address: match.stringMatching(/^0x[0-9a-f]{40}$/), disabled: false, created_at: match.any(String), credential_count: 1, purpose: 'passkey',
    });
    expect((await serverCall(harness.url, 'findAccount', { account_id }, secret)).result).toEqual(found.result);
    expect((await serverCall(harness.url, 'findAccount', { account_id }, other.secret)).error?.data).toBe('account_not_found');
    expect((await serverCall(harness.url, 'findAccount', { username }, other.secret)).error?.data).toBe('account_not_found');
    expect((await serverCall(harness.url, 'findAccount', { account_id, username }, secret)).error?.data).toBe('invalid_params');
    expect((await serverCall(harness.url, 'findAccount', { username: `${username}\0` }, secret)).error?.data).toBe('invalid_params');
    expect((await serverCall(harness.url, 'findAccount', { scope_id: scopeId, account_id }, token)).result).toEqual(found.result);
  });

  it('should delete an account: its sessions end everywhere (methods and verify), its passkeys are gone, the log keeps only the identifier hash', async () => {
    const { scopeId, secret, key_id } = await scopeWithKey();
    const user = await signedInAccount(scopeId);
    const jwt = open(user.client.aesKey, user.session);
    expect((await user.client.call('verify', { jwt })).result).toBeDefined();

    expect((await serverCall(harness.url, 'deleteAccount', { account_id: user.account_id }, secret)).result).toEqual({ account_id: user.account_id, scope_id: scopeId, deleted: true });
    expect((await sessionCall(user.client, user.session, 'getAccount')).error?.data).toBe('session_invalid');
    expect((await user.client.call('verify', { jwt })).error?.data).toBe('session_invalid');
    // The passkey no longer signs in (as a discoverable credential, the one way it still could be offered): no account holds it.
    const refused = await completeAuthentication(user.client, await initiateAuthentication(user.client), user.authenticator);
    expect(refused.error?.data).toBe('unknown_credential');
    expect((await serverCall(harness.url, 'findAccount', { account_id: user.account_id }, secret)).error?.data).toBe('account_not_found');
    expect((await serverCall(harness.url, 'deleteAccount', { account_id: user.account_id }, secret)).error?.data).toBe('account_not_found');

    const events = await harness.gateway.stores.auditLog.listAuditEvents(scopeId, { limit: 100 });
    expect(events.filter((event) => event.event === 'account_deleted')).toEqual([
      match.any(Object),
    ]);
    expect(events.find((event) => event.event === 'account_deleted')).toMatchObject({ account_id: user.account_id, identifier_hash: user.identifier_hash, reason: 'api_key', api_key_id: key_id });
    expect(events.find((event) => event.event === 'sessions_revoked')).toMatchObject({ account_id: user.account_id, reason: 'api_key', api_key_id: key_id });
    expect(JSON.stringify(events)).not.toContain(user.username);

    // The username is free again, for a new account with a new id.
    const again = await signedInAccount(scopeId, user.username);
    expect(again.account_id).not.toBe(user.account_id);
  });

  it("should not delete another scope's account, whatever the key names", async () => {
    const { scopeId } = await scopeWithKey();
    const attacker = await scopeWithKey();
    const victim = await signedInAccount(scopeId);
    expect((await serverCall(harness.url, 'deleteAccount', { account_id: victim.account_id }, attacker.secret)).error?.data).toBe('account_not_found');
    expect((await serverCall(harness.url, 'deleteAccount', { username: victim.username }, attacker.secret)).error?.data).toBe('account_not_found');
    expect((await serverCall(harness.url, 'deleteAccount', { scope_id: scopeId, account_id: victim.account_id }, attacker.secret)).error?.data).toBe('scope_mismatch');
    for (const method of ['listAccountCredentials', 'revokeSessions', 'findAccount']) {
      expect((await serverCall(harness.url, method, { account_id: victim.account_id }, attacker.secret)).error?.data).toBe('account_not_found');
    }
    expect((await serverCall(harness.url, 'deleteAccountCredential', { account_id: victim.account_id, credential_id: 'x' }, attacker.secret)).error?.data).toBe('account_not_found');
    expect((await sessionCall(victim.client, victim.session, 'getAccount')).result).toMatchObject({ account_id: victim.account_id });
  });

  it("should list and delete an account's passkeys, refusing the last, and end the sessions the deleted one started", async () => {
    const { scopeId, secret, key_id } = await scopeWithKey();
    const user = await signedInAccount(scopeId);
    const phone = platform();
    await register(user.client, phone, user.username, user.session);
    const phoneClient = new RpcClient(harness.url, scopeId, harness.publicKey);
    const phoneSession = await signIn(phoneClient, phone, user.username);

    const listed = await serverCall<{ account_id: string; credentials: { credential_id: string; created_at: string }[] }>(harness.url, 'listAccountCredentials', { username: user.username }, secret);
    expect(listed.result!.account_id).toBe(user.account_id);
    expect(listed.result!.credentials).toHaveLength(2);
    expect(listed.result!.credentials[0]).toMatchObject({ credential_id: match.any(String), provider: null, device_type: match.any(String), attestation_verified: false });
    const phoneKey = listed.result!.credentials.find((credential) => credential.credential_id === phone.credentials[0]?.id)!;
    expect(phoneKey).toBeDefined();

    expect((await serverCall(harness.url, 'deleteAccountCredential', { account_id: user.account_id, credential_id: 'no-such-passkey' }, secret)).error?.data).toBe('credential_not_found');
    expect((await serverCall(harness.url, 'deleteAccountCredential', { account_id: user.account_id, credential_id: phoneKey.credential_id }, secret)).result).toEqual({ account_id: user.account_id, credential_id: phoneKey.credential_id, deleted: true });
    expect((await sessionCall(phoneClient, phoneSession, 'getAccount')).error?.data).toBe('session_invalid');
    expect((await sessionCall(user.client, user.session, 'getAccount')).result).toMatchObject({ account_id: user.account_id });

    const [last] = (await serverCall<{ credentials: { credential_id: string }[] }>(harness.url, 'listAccountCredentials', { account_id: user.account_id }, secret)).result!.credentials;
    expect((await serverCall(harness.url, 'deleteAccountCredential', { account_id: user.account_id, credential_id: last!.credential_id }, secret)).error?.data).toBe('last_credential');
    const events = await harness.gateway.stores.auditLog.listAuditEvents(scopeId, { limit: 100 });
    expect(events.filter((event) => event.event === 'credential_deleted')).toEqual([match.any(Object)]);
    expect(events.find((event) => event.event === 'credential_deleted')).toMatchObject({ credential_id: phoneKey.credential_id, reason: 'api_key', api_key_id: key_id });
  });

  it('should answer unauthorized on every lifecycle method without a working credential', async () => {
    const { scopeId } = await scopeWithKey();
    for (const method of ['listAccounts', 'findAccount', 'deleteAccount', 'listAccountCredentials', 'deleteAccountCredential', 'revokeSessions']) {
      expect((await serverCall(harness.url, method, { scope_id: scopeId, account_id: randomUUID(), credential_id: 'x' })).error?.data).toBe('unauthorized');
      expect((await adminCall(harness.url, method, { scope_id: scopeId, account_id: randomUUID(), credential_id: 'x' }, `pgk_${'x'.repeat(43)}`)).error?.data).toBe('unauthorized');
    }
  });
});
