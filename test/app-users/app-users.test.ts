/**
 * Passkeys for an app's own users, through the real endpoint on both store pairs: registration
 * tokens (createRegistrationToken), sign-in results (verifySignIn), second-factor sign-ins
 * (createSignInToken), and what an attacker holding one piece can and cannot do with it.
 */
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { open, RpcClient } from '../../scripts/lib/rpc-client.js';
import type { Scope } from '../../src/domain/scope.js';
import { describeForBackends } from '../support/backends.js';
import { register, sessionCall, signIn } from '../support/ceremonies.js';
import { TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import { adminCall } from '../admin/admin-rpc.js';
import { createKey, serverCall } from '../api-keys/server-rpc.js';
import { finishRegistration, registerWithToken, startTokenGateway, startTokenRegistration, type Registered } from '../support/token-ceremonies.js';

const authenticator = () => new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;

/** A sign-in with a sealed user (a username, a sign-in token, or nothing); the completion's reply and the options offered. */
async function signInWith(client: RpcClient, device: SoftAuthenticator, user: Record<string, unknown>) {
  const encryptedUser = client.seal(user);
  const started = await client.call('initiateAuthentication', { encrypted_user: encryptedUser });
  if (started.error !== undefined) return { initiation: started, completion: undefined, options: undefined };
  const { publicKey } = client.openJson<{ publicKey: PublicKeyCredentialRequestOptionsJSON }>(started.result?.encrypted_request_challenge);
  const assertion = device.getAssertion(publicKey, TEST_ORIGIN);
  const completion = await client.call('completeAuthentication', { challenge_id: started.result?.challenge_id, encrypted_assertion: client.seal(assertion), encrypted_user: encryptedUser });
  return { initiation: started, completion, options: publicKey };
}

describeForBackends("passkeys for an app's own users", (backend) => {
  const clock = { now: Date.now() };
  let gateway: Awaited<ReturnType<typeof startTokenGateway>>;
  let harness: Harness;
  let scope: Scope;
  let other: Scope;
  let key: string;
  let otherKey: string;
  const client = (on = scope) => new RpcClient(harness.url, on.scope_id, harness.publicKey);
  const server = <T = Record<string, unknown>>(method: string, params: unknown, bearer = key) => serverCall<T>(harness.url, method, params, bearer);
  const adminCallFor = (method: string, params: unknown) => adminCall(harness.url, method, params, gateway.adminToken);
  const registrationToken = async (params: Record<string, unknown>, bearer = key) => {
    const reply = await server<{ registration_token: string; expires_at: string }>('createRegistrationToken', params, bearer);
    if (reply.result === undefined) throw new Error(`createRegistrationToken failed: ${reply.error?.data}`);
    return reply.result.registration_token;
  };

  beforeAll(async () => {
    gateway = await startTokenGateway(backend, clock);
    harness = gateway.harness;
    scope = await harness.createScope();
    other = await harness.createScope();
    key = (await createKey(harness.url, gateway.adminToken, scope.scope_id)).secret;
    otherKey = (await createKey(harness.url, gateway.adminToken, other.scope_id)).secret;
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    clock.now = Date.now();
  });

  describe('createRegistrationToken and registration with it', () => {
    it("should register the first passkey to a new account of the app's user_id, named by device_name, and carry user_id in the result and the session", async () => {
      const userId = unique('app-user');
      const token = await registrationToken({ user_id: userId, display_name: 'Ada' });
      expect(token).toMatch(/^pkgw_rt_[A-Za-z0-9_-]{43}$/);
      const c = client();
      // The SDK's register() always sends a username: it is ignored beside a token.
      const result = await registerWithToken(c, authenticator(), { registration_token: token, username: 'ignored', device_name: 'Work laptop' });
      expect(result.user_id).toBe(userId);
      expect(decodeJwt(open(c.aesKey, result.encrypted_jwt)).user_id).toBe(userId);
      const account = await harness.gateway.stores.accounts.findAccountByUserId(scope.scope_id, userId);
      expect(account?.account_id).toBe(result.account_id);
      expect(await harness.gateway.stores.accounts.findAccountByUsername(scope.scope_id, 'ignored')).toBeNull();
      const listed = await sessionCall<{ credentials: Array<{ name: string }> }>(c, result.encrypted_jwt, 'listCredentials');
      expect(listed.result?.credentials.map((credential) => credential.name)).toEqual(['Work laptop']);
      const shown = await sessionCall<{ display_name: string; username: string; user_id: string }>(c, result.encrypted_jwt, 'getAccount');
      expect(shown.result).toMatchObject({ display_name: 'Ada', username: userId, user_id: userId });
      // Signed in, it adds a passkey as any account does (the browser client sends getAccount's username).
      const more = await finishRegistration(c, await startTokenRegistration(c, { username: userId }, { 'x-encrypted-session': result.encrypted_jwt }), authenticator(), undefined, {
        'x-encrypted-session': result.encrypted_jwt,
      });
      expect((more.result as unknown as Registered | undefined)?.account_id).toBe(result.account_id);
    });

    it('should add to the same account on the next token for that user_id (the app\'s recovery link)', async () => {
      const userId = unique('app-user');
      const first = await registerWithToken(client(), authenticator(), { registration_token: await registrationToken({ user_id: userId }) });
      const second = await registerWithToken(client(), authenticator(), { registration_token: await registrationToken({ user_id: userId }) });
      expect(second.account_id).toBe(first.account_id);
      expect(await harness.gateway.stores.accounts.listCredentials(first.account_id)).toHaveLength(2);
    });

    it('should take a username for a new account when given, and refuse one that is taken with account_exists', async () => {
      const username = unique('named');
      const userId = unique('app-user');
      const result = await registerWithToken(client(), authenticator(), { registration_token: await registrationToken({ user_id: userId, username }) });
      expect((await harness.gateway.stores.accounts.findAccountByUsername(scope.scope_id, username))?.user_id).toBe(userId);
      expect(result.encrypted_recovery_codes).toBeDefined();
      expect((await server('createRegistrationToken', { user_id: unique('someone-else'), username })).error?.data).toBe('account_exists');
    });

    it('should give no recovery codes to an account without a username (nothing could name it for recovery)', async () => {
      const result = await registerWithToken(client(), authenticator(), { registration_token: await registrationToken({ user_id: unique('app-user') }) });
      expect(result.encrypted_recovery_codes).toBeUndefined();
    });

    it('should refuse a token used twice with token_invalid, and of two ceremonies started with it let one complete', async () => {
      const token = await registrationToken({ user_id: unique('app-user') });
      const c = client();
      const a = await startTokenRegistration(c, { registration_token: token });
      const b = await startTokenRegistration(c, { registration_token: token });
      expect((await finishRegistration(c, a, authenticator())).error).toBeUndefined();
      expect((await finishRegistration(c, b, authenticator())).error?.data).toBe('token_invalid');
      expect((await startTokenRegistration(c, { registration_token: token })).reply.error?.data).toBe('token_invalid');
    });

    it('should leave a token usable when its registration fails (a passkey already registered)', async () => {
      const device = authenticator();
      const userId = unique('app-user');
      await registerWithToken(client(), device, { registration_token: await registrationToken({ user_id: userId }) });
      const token = await registrationToken({ user_id: userId });
      const c = client();
      const started = await startTokenRegistration(c, { registration_token: token });
      // A passkey whose id is taken: credential_exists, in the transaction that would have used the token up.
      const taken = authenticator().createCredential(started.options!, TEST_ORIGIN, { credentialId: device.credentials[0]!.id });
      const refused = await c.call('completeRegistration', { challenge_id: started.challengeId, encrypted_attestation: c.seal(taken), encrypted_user: started.encryptedUser });
      expect(refused.error?.data).toBe('credential_exists');
      await registerWithToken(c, authenticator(), { registration_token: token });
    });

    it('should refuse an expired token with token_invalid', async () => {
      const token = await registrationToken({ user_id: unique('app-user'), ttl_s: 60 });
      clock.now += 61_000;
      expect((await startTokenRegistration(client(), { registration_token: token })).reply.error?.data).toBe('token_invalid');
    });

    it("should refuse a token on another scope with token_invalid, and another scope's key naming this scope with scope_mismatch", async () => {
      const token = await registrationToken({ user_id: unique('app-user') });
      expect((await startTokenRegistration(client(other), { registration_token: token })).reply.error?.data).toBe('token_invalid');
      expect((await server('createRegistrationToken', { scope_id: scope.scope_id, user_id: 'x' }, otherKey)).error?.data).toBe('scope_mismatch');
      // Still usable where it belongs.
      await registerWithToken(client(), authenticator(), { registration_token: token });
    });

    it("should not let a registration token for user A add a passkey to user B's account", async () => {
      const userA = unique('user-a');
      const userB = unique('user-b');
      const accountB = await registerWithToken(client(), authenticator(), { registration_token: await registrationToken({ user_id: userB }) });
      const tokenA = await registrationToken({ user_id: userA });
      const tokenB = await registrationToken({ user_id: userB });
      const c = client();
      // Started with A's token, finished naming B's: the ceremony is bound to the token it began with.
      const started = await startTokenRegistration(c, { registration_token: tokenA });
      const swapped = await finishRegistration(c, started, authenticator(), c.seal({ registration_token: tokenB }));
      expect(swapped.error?.data).toBe('challenge_mismatch');
      // Nor does a session of B beside A's token change whose passkey it is.
      const withB = await startTokenRegistration(c, { registration_token: tokenA }, { 'x-encrypted-session': accountB.encrypted_jwt });
      const a = await finishRegistration(c, withB, authenticator(), withB.encryptedUser, { 'x-encrypted-session': accountB.encrypted_jwt });
      expect((a.result as unknown as Registered).user_id).toBe(userA);
      expect(await harness.gateway.stores.accounts.listCredentials(accountB.account_id)).toHaveLength(1);
    });

    it('should refuse server calls without a working key (unauthorized), and a malformed token before any lookup (invalid_params)', async () => {
      expect((await server('createRegistrationToken', { user_id: 'x' }, 'pkgw_sk_nothing')).error?.data).toBe('unauthorized');
      expect((await server('createRegistrationToken', { user_id: 'x' }, '')).error?.data).toBe('unauthorized');
      expect((await server('createRegistrationToken', { user_id: 'has space' })).error?.data).toBe('invalid_params');
      expect((await startTokenRegistration(client(), { registration_token: 'pkgw_rt_short' })).reply.error?.data).toBe('invalid_params');
    });
  });

  it("should name an account by the app's user_id in the account calls, within the key's scope only", async () => {
    const userId = unique('app-user');
    const registered = await registerWithToken(client(), authenticator(), { registration_token: await registrationToken({ user_id: userId }) });
    const found = await server<{ account_id: string; user_id: string }>('findAccount', { user_id: userId });
    expect(found.result).toMatchObject({ account_id: registered.account_id, user_id: userId });
    expect((await server('findAccount', { user_id: userId }, otherKey)).error?.data).toBe('account_not_found');
    expect((await server('findAccount', { user_id: userId, account_id: registered.account_id })).error?.data).toBe('invalid_params');
    expect((await server('findAccount', { user_id: 'has space' })).error?.data).toBe('invalid_params');
    const listed = await server<{ credentials: unknown[] }>('listAccountCredentials', { user_id: userId });
    expect(listed.result?.credentials).toHaveLength(1);
    expect((await server('deleteAccount', { user_id: userId })).error).toBeUndefined();
    expect((await server('findAccount', { user_id: userId })).error?.data).toBe('account_not_found');
  });

  it("should erase a deleted account's pending tokens: a registration token for its user_id no longer creates it again", async () => {
    const userId = unique('app-user');
    const registered = await registerWithToken(client(), authenticator(), { registration_token: await registrationToken({ user_id: userId }) });
    const pending = await registrationToken({ user_id: userId });
    expect((await server('deleteAccount', { account_id: registered.account_id })).error).toBeUndefined();
    expect((await startTokenRegistration(client(), { registration_token: pending })).reply.error?.data).toBe('token_invalid');
    // A token made after the deletion starts the user afresh.
    const again = await registerWithToken(client(), authenticator(), { registration_token: await registrationToken({ user_id: userId }) });
    expect(again.account_id).not.toBe(registered.account_id);
  });

  it("review 4: should page listAccounts past app users without a username, showing their user_id, never the internal form", async () => {
    const own = await harness.createScope();
    const ownKey = (await createKey(harness.url, gateway.adminToken, own.scope_id)).secret;
    const userIds = ['app-a', 'app-b', 'app-c'].map(unique);
    for (const userId of userIds) {
      const token = (await server<{ registration_token: string }>('createRegistrationToken', { user_id: userId }, ownKey)).result!.registration_token;
      await registerWithToken(client(own), authenticator(), { registration_token: token });
    }
    const named = unique('named');
    await register(client(own), authenticator(), named);
    type Page = { accounts: Array<{ account_id: string; username: string; user_id: string | null }>; next_cursor: string | null };
    const seen: Page['accounts'] = [];
    let cursor: string | null = null;
    do {
      const reply: { result?: Page; error?: { data?: string } } = await server<Page>('listAccounts', { limit: 1, ...(cursor === null ? {} : { cursor }) }, ownKey);
      expect(reply.error).toBeUndefined();
      seen.push(...reply.result!.accounts);
      cursor = reply.result!.next_cursor;
    } while (cursor !== null);
    expect(seen.map((account) => account.username).sort()).toEqual([...userIds, named].sort());
    expect(seen.filter((account) => account.user_id !== null).map((account) => account.user_id).sort()).toEqual([...userIds].sort());
    for (const account of seen) expect(account.username).not.toMatch(/\p{Cc}/u);
    const found = await server<{ username: string; user_id: string }>('findAccount', { account_id: seen.find((account) => account.user_id === userIds[0])!.account_id }, ownKey);
    expect(found.result).toMatchObject({ username: userIds[0], user_id: userIds[0] });
    // A cursor this method never gave is still refused.
    expect((await server('listAccounts', { cursor: Buffer.from('\u001fuser:has space').toString('base64url') }, ownKey)).error?.data).toBe('invalid_params');
  });

  describe('verifySignIn', () => {
    it('should exchange the sign-in token of a completed sign-in, once, for user_id, account_id and the passkey', async () => {
      const userId = unique('app-user');
      const device = authenticator();
      const registered = await registerWithToken(client(), device, { registration_token: await registrationToken({ user_id: userId }) });
      const c = client();
      const { completion } = await signInWith(c, device, { username: '' });
      const token = open(c.aesKey, String(completion?.result?.encrypted_sign_in_token));
      expect(token).toMatch(/^pkgw_sv_/);
      const verified = await server<Record<string, unknown>>('verifySignIn', { token });
      expect(verified.result).toMatchObject({
        user_id: userId,
        account_id: registered.account_id,
        credential_id: device.credentials[0]!.id,
        user_verified: true,
        second_factor: false,
      });
      expect(typeof verified.result?.signed_in_at).toBe('string');
      expect((await server('verifySignIn', { token })).error?.data).toBe('token_invalid');
    });

    it('should refuse the sign-in token of an account disabled since the sign-in (the disabling deleted it: token_invalid)', async () => {
      const device = authenticator();
      const registered = await registerWithToken(client(), device, { registration_token: await registrationToken({ user_id: unique('app-user') }) });
      const c = client();
      const { completion } = await signInWith(c, device, { username: '' });
      await harness.gateway.stores.accounts.setAccountDisabled(registered.account_id, true);
      expect((await server('verifySignIn', { token: open(c.aesKey, String(completion?.result?.encrypted_sign_in_token)) })).error?.data).toBe('token_invalid');
    });

    it('review 3: should refuse a sign-in token after revokeSessions, after logout everywhere, and once the passkey that signed in was deleted', async () => {
      const device = authenticator();
      const spare = authenticator();
      const userId = unique('app-user');
      const registered = await registerWithToken(client(), device, { registration_token: await registrationToken({ user_id: userId }) });
      await registerWithToken(client(), spare, { registration_token: await registrationToken({ user_id: userId }) });
      const pending = async () => {
        const c = client();
        const { completion } = await signInWith(c, device, { username: '' });
        return { c, token: open(c.aesKey, String(completion?.result?.encrypted_sign_in_token)), jwt: String(completion?.result?.encrypted_jwt) };
      };
      const revoked = await pending();
      expect((await server('revokeSessions', { account_id: registered.account_id })).error).toBeUndefined();
      expect((await server('verifySignIn', { token: revoked.token })).error?.data).toBe('token_invalid');
      clock.now += 1_000; // sessions carry whole seconds: a sign-in in the second of the revocation ends with it
      const loggedOut = await pending();
      const other = await pending();
      expect((await sessionCall(loggedOut.c, loggedOut.jwt, 'logout', { everywhere: true })).error).toBeUndefined();
      expect((await server('verifySignIn', { token: other.token })).error?.data).toBe('token_invalid');
      clock.now += 1_000;
      const deleted = await pending();
      expect((await server('deleteAccountCredential', { account_id: registered.account_id, credential_id: device.credentials[0]!.id })).error).toBeUndefined();
      expect((await server('verifySignIn', { token: deleted.token })).error?.data).toBe('token_invalid');
      // The other passkey's sign-ins still verify.
      const c = client();
      const { completion } = await signInWith(c, spare, { username: '' });
      expect((await server('verifySignIn', { token: open(c.aesKey, String(completion?.result?.encrypted_sign_in_token)) })).result).toMatchObject({ user_id: userId });
    });

    it("review 3: ending all sessions and disabling delete the account's pending sign-in tokens (second-factor tokens and sign-in results)", async () => {
      const device = authenticator();
      const userId = unique('app-user');
      const registered = await registerWithToken(client(), device, { registration_token: await registrationToken({ user_id: userId }) });
      const pendingTokens = async () => {
        const second = (await server<{ sign_in_token: string }>('createSignInToken', { user_id: userId })).result!.sign_in_token;
        const c = client();
        const { completion } = await signInWith(c, device, { username: '' });
        return { second, result: open(c.aesKey, String(completion?.result?.encrypted_sign_in_token)) };
      };
      const beforeRevoke = await pendingTokens();
      expect((await server('revokeSessions', { account_id: registered.account_id })).error).toBeUndefined();
      clock.now += 1_000;
      // The second-factor token is gone: it no longer starts a sign-in, though the account signs in again.
      expect((await signInWith(client(), device, { sign_in_token: beforeRevoke.second })).initiation.error?.data).toBe('token_invalid');
      const beforeDisable = await pendingTokens();
      expect((await adminCallFor('disableAccount', { scope_id: scope.scope_id, account_id: registered.account_id })).error).toBeUndefined();
      expect((await adminCallFor('enableAccount', { scope_id: scope.scope_id, account_id: registered.account_id })).error).toBeUndefined();
      // Enabled again, neither the second-factor token nor the sign-in result from before comes back.
      expect((await signInWith(client(), device, { sign_in_token: beforeDisable.second })).initiation.error?.data).toBe('token_invalid');
      expect((await server('verifySignIn', { token: beforeDisable.result })).error?.data).toBe('token_invalid');
    });

    it("should refuse a sign-in token in another scope (its key) and after two minutes", async () => {
      const device = authenticator();
      const username = unique('plain');
      await register(client(), device, username);
      const c = client();
      const first = await signInWith(c, device, { username });
      const token = open(c.aesKey, String(first.completion?.result?.encrypted_sign_in_token));
      expect((await server('verifySignIn', { token }, otherKey)).error?.data).toBe('token_invalid');
      const late = await signInWith(c, device, { username });
      clock.now += 121_000;
      expect((await server('verifySignIn', { token: open(c.aesKey, String(late.completion?.result?.encrypted_sign_in_token)) })).error?.data).toBe('token_invalid');
      // The other scope's refusal did not use it up.
      clock.now = Date.now();
      expect((await server<{ user_id: string | null }>('verifySignIn', { token })).result?.user_id).toBeNull();
    });
  });

  describe('second factor: createSignInToken', () => {
    async function appUser(devices = 1) {
      const userId = unique('app-user');
      const all = Array.from({ length: devices }, authenticator);
      let registered: Registered | undefined;
      for (const device of all) registered = await registerWithToken(client(), device, { registration_token: await registrationToken({ user_id: userId }) });
      return { userId, devices: all, account: registered! };
    }
    const signInToken = async (userId: string) => {
      const reply = await server<{ sign_in_token: string }>('createSignInToken', { user_id: userId });
      if (reply.result === undefined) throw new Error(`createSignInToken failed: ${reply.error?.data}`);
      return reply.result.sign_in_token;
    };

    it("should offer only that user's passkeys, mark the sign-in a second factor, and refuse its session as a primary one", async () => {
      const { userId, devices, account } = await appUser(2);
      await appUser(1); // someone else's passkeys exist in the scope too
      const c = client();
      const { options, completion } = await signInWith(c, devices[1]!, { sign_in_token: await signInToken(userId), username: 'ignored' });
      expect(options?.allowCredentials?.map((credential) => credential.id).sort()).toEqual(devices.map((device) => device.credentials[0]!.id).sort());
      expect(options?.userVerification).toBe(scope.user_verification);
      expect(options?.timeout).toBe(scope.timeout_ms);
      const jwt = String(completion?.result?.encrypted_jwt);
      const claims = decodeJwt(open(c.aesKey, jwt));
      expect(claims).toMatchObject({ second_factor: true, restricted: 'second_factor', user_id: userId, account_id: account.account_id });
      // The scope refuses second-factor sessions (the default): every authenticated method and verify.
      expect((await sessionCall(c, jwt, 'getAccount')).error?.data).toBe('session_invalid');
      expect((await c.call('verify', { jwt: open(c.aesKey, jwt) })).error?.data).toBe('session_invalid');
      const verified = await server<{ second_factor: boolean; user_id: string }>('verifySignIn', { token: open(c.aesKey, String(completion?.result?.encrypted_sign_in_token)) });
      expect(verified.result).toMatchObject({ second_factor: true, user_id: userId });
      const events = await harness.gateway.stores.auditLog.listAuditEvents(scope.scope_id, { limit: 1000 });
      expect(events.filter((event) => event.account_id === account.account_id && event.event === 'sign_in_succeeded').map((event) => event.reason)).toEqual(['second_factor']);
    });

    it('should let a passkey enrolled as a second factor sign in only as one (second_factor_only, once its signature verified)', async () => {
      const userId = unique('mfa-user');
      const device = authenticator();
      await registerWithToken(client(), device, { registration_token: await registrationToken({ user_id: userId, purpose: 'second_factor' }) });
      const c = client();
      const alone = await signInWith(c, device, { username: '' });
      expect(alone.completion?.error?.data).toBe('second_factor_only');
      // A forged assertion for it learns nothing of the kind: it fails as any bad signature does.
      const started = await c.call('initiateAuthentication', { encrypted_user: c.seal({ username: '' }) });
      const { publicKey } = c.openJson<{ publicKey: PublicKeyCredentialRequestOptionsJSON }>(started.result?.encrypted_request_challenge);
      const forged = device.getAssertion(publicKey, TEST_ORIGIN, { corruptSignature: true });
      const refused = await c.call('completeAuthentication', { challenge_id: started.result?.challenge_id, encrypted_assertion: c.seal(forged), encrypted_user: c.seal({ username: '' }) });
      expect(refused.error?.data).toBe('verification_failed');
      const second = await signInWith(c, device, { sign_in_token: await signInToken(userId) });
      expect(second.completion?.error).toBeUndefined();
    });

    it('review 1: a second-factor passkey added to an account with a primary one signs in only under a sign-in token (by username and usernameless), its registration session is restricted, and the purpose shows', async () => {
      const userId = unique('mixed-user');
      const username = unique('mixed');
      const primary = authenticator();
      const mfa = authenticator();
      const first = await registerWithToken(client(), primary, { registration_token: await registrationToken({ user_id: userId, username }) });
      const c = client();
      const added = await registerWithToken(c, mfa, { registration_token: await registrationToken({ user_id: userId, purpose: 'second_factor' }) });
      expect(added.account_id).toBe(first.account_id);
      // The registration proved no first factor: its session acts nowhere.
      expect(decodeJwt(open(c.aesKey, added.encrypted_jwt)).restricted).toBe('second_factor');
      expect((await sessionCall(c, added.encrypted_jwt, 'getAccount')).error?.data).toBe('session_invalid');
      expect((await c.call('verify', { jwt: open(c.aesKey, added.encrypted_jwt) })).error?.data).toBe('session_invalid');
      // On its own it signs in neither by username nor usernameless; the primary passkey still does.
      expect((await signInWith(client(), mfa, { username })).completion?.error?.data).toBe('second_factor_only');
      expect((await signInWith(client(), mfa, { username: '' })).completion?.error?.data).toBe('second_factor_only');
      expect((await signInWith(client(), primary, { username })).completion?.error).toBeUndefined();
      // Under a sign-in token it is a second factor, and verifySignIn says which passkey kind signed.
      const second = await signInWith(c, mfa, { sign_in_token: await signInToken(userId) });
      const verified = await server<Record<string, unknown>>('verifySignIn', { token: open(c.aesKey, String(second.completion?.result?.encrypted_sign_in_token)) });
      expect(verified.result).toMatchObject({ second_factor: true, purpose: 'second_factor', credential_id: mfa.credentials[0]!.id });
      const listed = await server<{ credentials: Array<{ credential_id: string; purpose: string }> }>('listAccountCredentials', { account_id: first.account_id });
      expect(Object.fromEntries(listed.result!.credentials.map((credential) => [credential.credential_id, credential.purpose]))).toEqual({
        [primary.credentials[0]!.id]: 'passkey',
        [mfa.credentials[0]!.id]: 'second_factor',
      });
      expect((await server('findAccount', { account_id: first.account_id })).result).toMatchObject({ purpose: 'passkey', user_id: userId });
    });

    it('review 1: registering a second-factor account gives a restricted session even where the scope allows second-factor sessions, and findAccount shows the purpose', async () => {
      const allowing = await harness.createScope({ second_factor_sessions: 'allowed' });
      const allowingKey = (await createKey(harness.url, gateway.adminToken, allowing.scope_id)).secret;
      const userId = unique('mfa-user');
      const token = (await server<{ registration_token: string }>('createRegistrationToken', { user_id: userId, purpose: 'second_factor' }, allowingKey)).result!.registration_token;
      const c = client(allowing);
      const device = authenticator();
      const registered = await registerWithToken(c, device, { registration_token: token });
      expect(decodeJwt(open(c.aesKey, registered.encrypted_jwt)).restricted).toBe('second_factor');
      expect((await sessionCall(c, registered.encrypted_jwt, 'getAccount')).error?.data).toBe('session_invalid');
      expect((await server('findAccount', { account_id: registered.account_id }, allowingKey)).result).toMatchObject({ purpose: 'second_factor', user_id: userId });
      // Without a sign-in token its passkey is refused there too; with one, the scope lets the session act.
      expect((await signInWith(client(allowing), device, { username: '' })).completion?.error?.data).toBe('second_factor_only');
      const st = (await server<{ sign_in_token: string }>('createSignInToken', { user_id: userId }, allowingKey)).result!.sign_in_token;
      const { completion } = await signInWith(c, device, { sign_in_token: st });
      expect((await sessionCall(c, String(completion?.result?.encrypted_jwt), 'getAccount')).error).toBeUndefined();
    });

    it("review 7: should give second-factor-only sessions the audience <scope>#second_factor, so an app's plain JOSE check of iss, aud and exp refuses them", async () => {
      const userId = unique('mfa-user');
      const device = authenticator();
      const c = client();
      const registered = await registerWithToken(c, device, { registration_token: await registrationToken({ user_id: userId, purpose: 'second_factor' }) });
      const { completion } = await signInWith(c, device, { sign_in_token: await signInToken(userId) });
      const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', harness.url));
      for (const sealed of [registered.encrypted_jwt, String(completion?.result?.encrypted_jwt)]) {
        const jwt = open(c.aesKey, sealed);
        expect(decodeJwt(jwt).aud).toBe(`${scope.scope_id}#second_factor`);
        await expect(jwtVerify(jwt, jwks, { issuer: String(decodeJwt(jwt).iss), audience: scope.scope_id })).rejects.toMatchObject({ claim: 'aud' });
      }
      // A primary sign-in's session passes the same check.
      const username = unique('plain');
      const plain = authenticator();
      await register(client(), plain, username);
      const session = open(c.aesKey, await signIn(c, plain, username));
      await expect(jwtVerify(session, jwks, { issuer: String(decodeJwt(session).iss), audience: scope.scope_id })).resolves.toMatchObject({ payload: { aud: scope.scope_id } });
    });

    it('should let a second-factor session act where the scope allows it', async () => {
      const allowing = await harness.createScope({ second_factor_sessions: 'allowed' });
      const allowingKey = (await createKey(harness.url, gateway.adminToken, allowing.scope_id)).secret;
      const userId = unique('app-user');
      const device = authenticator();
      const token = (await server<{ registration_token: string }>('createRegistrationToken', { user_id: userId }, allowingKey)).result!.registration_token;
      await registerWithToken(client(allowing), device, { registration_token: token });
      const c = client(allowing);
      const st = (await server<{ sign_in_token: string }>('createSignInToken', { user_id: userId }, allowingKey)).result!.sign_in_token;
      const { completion } = await signInWith(c, device, { sign_in_token: st });
      const jwt = String(completion?.result?.encrypted_jwt);
      expect(decodeJwt(open(c.aesKey, jwt))).toMatchObject({ second_factor: true });
      expect(decodeJwt(open(c.aesKey, jwt)).restricted).toBeUndefined();
      expect((await sessionCall(c, jwt, 'getAccount')).error).toBeUndefined();
    });

    it("should refuse another user's passkey under a sign-in token (verification_failed) and use the token only once", async () => {
      const victim = await appUser();
      const attacker = await appUser();
      const c = client();
      const token = await signInToken(victim.userId);
      // The attacker's own passkey is not among those offered: a forced assertion with it fails.
      const encryptedUser = c.seal({ sign_in_token: token });
      const started = await c.call('initiateAuthentication', { encrypted_user: encryptedUser });
      const { publicKey } = c.openJson<{ publicKey: PublicKeyCredentialRequestOptionsJSON }>(started.result?.encrypted_request_challenge);
      const forged = attacker.devices[0]!.getAssertion({ ...publicKey, allowCredentials: [] }, TEST_ORIGIN);
      const refused = await c.call('completeAuthentication', { challenge_id: started.result?.challenge_id, encrypted_assertion: c.seal(forged), encrypted_user: encryptedUser });
      expect(refused.error?.data).toBe('verification_failed');
      // The failed attempt left the token to the victim, who uses it once.
      expect((await signInWith(c, victim.devices[0]!, { sign_in_token: token })).completion?.error).toBeUndefined();
      const again = await signInWith(c, victim.devices[0]!, { sign_in_token: token });
      expect(again.initiation.error?.data).toBe('token_invalid');
    });

    it('should bind the ceremony to its sign-in token: completing without it, or with another, is challenge_mismatch', async () => {
      const { userId, devices } = await appUser();
      const c = client();
      const encryptedUser = c.seal({ sign_in_token: await signInToken(userId) });
      const started = await c.call('initiateAuthentication', { encrypted_user: encryptedUser });
      const { publicKey } = c.openJson<{ publicKey: PublicKeyCredentialRequestOptionsJSON }>(started.result?.encrypted_request_challenge);
      const assertion = devices[0]!.getAssertion(publicKey, TEST_ORIGIN);
      const without = await c.call('completeAuthentication', { challenge_id: started.result?.challenge_id, encrypted_assertion: c.seal(assertion), encrypted_user: c.seal({ username: '' }) });
      expect(without.error?.data).toBe('challenge_mismatch');
    });

    it('should refuse an expired, foreign-scope or unknown sign-in token with token_invalid, and a user without passkeys with account_not_found', async () => {
      const { userId, devices } = await appUser();
      const token = (await server<{ sign_in_token: string }>('createSignInToken', { user_id: userId, ttl_s: 60 })).result!.sign_in_token;
      expect((await signInWith(client(other), devices[0]!, { sign_in_token: token })).initiation.error?.data).toBe('token_invalid');
      clock.now += 61_000;
      expect((await signInWith(client(), devices[0]!, { sign_in_token: token })).initiation.error?.data).toBe('token_invalid');
      expect((await server('createSignInToken', { user_id: unique('nobody') })).error?.data).toBe('account_not_found');
      expect((await server('createSignInToken', { user_id: userId }, otherKey)).error?.data).toBe('account_not_found');
    });
  });

  it('should keep signing in with a username working, and its session primary, for accounts the gateway names', async () => {
    const device = authenticator();
    const username = unique('plain');
    await register(client(), device, username);
    const c = client();
    const session = await signIn(c, device, username);
    const claims = decodeJwt(open(c.aesKey, session));
    expect(claims.restricted).toBeUndefined();
    expect(claims.user_id).toBeUndefined();
    expect((await sessionCall(c, session, 'getAccount')).error).toBeUndefined();
  });
});
