/**
 * Recovery through the real endpoint on both store pairs: recovery codes (each once, the failure
 * limits, regeneration), the recovery session that can only add a passkey, an operator's recovery
 * link (createRecoveryToken), and what each failure tells someone who guesses.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { open, RpcClient, type JsonRpcReply } from '../../scripts/lib/rpc-client.js';
import type { Scope } from '../../src/domain/scope.js';
import { RECOVERY_PER_ACCOUNT, RECOVERY_PER_IP } from '../../src/rate-limits/rate-limiter.js';
import { adminCall } from '../admin/admin-rpc.js';
import { describeForBackends } from '../support/backends.js';
import { completeRegistration, initiateRegistration, register, sessionCall, signIn } from '../support/ceremonies.js';
import type { Harness } from '../support/gateway-harness.js';
import { registerWithToken, startTokenGateway } from '../support/token-ceremonies.js';

const authenticator = () => new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
/** A fresh client address per test, so the per-address limit of one test does not reach the next. */
const address = () => `10.${[...randomBytes(3)].join('.')}`;

describeForBackends('account recovery', (backend) => {
  const clock = { now: Date.now() };
  let gateway: Awaited<ReturnType<typeof startTokenGateway>>;
  let harness: Harness;
  let scope: Scope;
  const client = (on = scope) => new RpcClient(harness.url, on.scope_id, harness.publicKey);

  beforeAll(async () => {
    gateway = await startTokenGateway(backend, clock);
    harness = gateway.harness;
    scope = await harness.createScope();
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    clock.now = Date.now();
  });

  /** A registered user with the codes their first passkey came with. */
  async function userWithCodes(on = scope) {
    const c = client(on);
    const device = authenticator();
    const username = unique('user');
    const started = await initiateRegistration(c, username);
    const reply = await completeRegistration(c, started, device);
    if (reply.error !== undefined) throw new Error(`completeRegistration failed: ${reply.error.data}`);
    const sealed = reply.result?.encrypted_recovery_codes;
    const codes = sealed === undefined ? null : c.openJson<{ codes: string[]; remaining: number }>(sealed);
    return { client: c, device, username, accountId: String(reply.result?.account_id), codes };
  }

  const recover = (c: RpcClient, username: string, code: string, from = address()): Promise<JsonRpcReply> =>
    c.call('recoverAccount', { encrypted_user: c.seal({ username, code }) }, { 'x-forwarded-for': from });

  it("should give an account's first passkey ten codes, sealed with remaining, and keep only keyed hashes", async () => {
    const { codes, accountId } = await userWithCodes();
    expect(codes?.remaining).toBe(10);
    expect(codes?.codes).toHaveLength(10);
    expect(new Set(codes?.codes).size).toBe(10);
    for (const code of codes!.codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(await harness.gateway.stores.recoveryCodes.countRecoveryCodes(accountId)).toBe(10);
    // Adding a passkey later brings no new codes.
    const c = client();
    const device = authenticator();
    const username = unique('second');
    const first = await register(c, device, username);
    const added = await completeRegistration(c, await initiateRegistration(c, username, undefined, { 'x-encrypted-session': first.encrypted_jwt }), authenticator(), {}, undefined, {
      'x-encrypted-session': first.encrypted_jwt,
    });
    expect(added.result?.encrypted_recovery_codes).toBeUndefined();
  });

  it('should answer a code with a recovery session that can only add a passkey, after which the account is fully back', async () => {
    const { username, codes, accountId } = await userWithCodes();
    const c = client();
    // Typed loosely: case, spaces and the hyphen do not matter.
    const reply = await recover(c, username.toUpperCase(), ` ${codes!.codes[3]!.toLowerCase().replace('-', ' ')} `);
    expect(reply.error).toBeUndefined();
    expect(c.openJson(reply.result?.encrypted_recovery_codes)).toEqual({ remaining: 9 });
    const recovery = String(reply.result?.encrypted_jwt);
    const claims = decodeJwt(open(c.aesKey, recovery));
    expect(claims).toMatchObject({ restricted: 'recovery', account_id: accountId });
    expect(Number(claims.exp) - Number(claims.iat)).toBeLessThanOrEqual(600);

    // Everything but adding a passkey refuses it, in the one session check.
    for (const method of ['getAccount', 'listCredentials', 'regenerateRecoveryCodes', 'logout']) {
      expect((await sessionCall(c, recovery, method)).error?.data).toBe('session_invalid');
    }
    expect((await sessionCall(c, recovery, 'updateDisplayName', { display_name: 'Mallory' })).error?.data).toBe('session_invalid');
    expect((await c.call('verify', { jwt: open(c.aesKey, recovery) })).error?.data).toBe('session_invalid');

    const newDevice = authenticator();
    const headers = { 'x-encrypted-session': recovery };
    const added = await completeRegistration(c, await initiateRegistration(c, username, undefined, headers), newDevice, {}, undefined, headers);
    expect(added.error).toBeUndefined();
    expect(added.result?.account_id).toBe(accountId);
    const full = String(added.result?.encrypted_jwt);
    expect(decodeJwt(open(c.aesKey, full)).restricted).toBeUndefined();
    expect((await sessionCall(c, full, 'getAccount')).error).toBeUndefined();
    // And the new passkey signs in.
    const other = client();
    expect(await signIn(other, newDevice, username)).toEqual(expect.any(String));
  });

  it('should take each code once', async () => {
    const { username, codes } = await userWithCodes();
    const c = client();
    expect((await recover(c, username, codes!.codes[0]!)).error).toBeUndefined();
    expect((await recover(c, username, codes!.codes[0]!)).error?.data).toBe('recovery_failed');
    const next = await recover(c, username, codes!.codes[1]!);
    expect(c.openJson(next.result?.encrypted_recovery_codes)).toEqual({ remaining: 8 });
  });

  it('should answer an unknown username exactly as a wrong code, and a disabled account too', async () => {
    const { username, codes, accountId } = await userWithCodes();
    const c = client();
    const wrong = await recover(c, username, 'ABCDE-FGHJK');
    const unknown = await recover(c, unique('nobody'), codes!.codes[0]!);
    const malformed = await recover(c, username, 'not a code at all');
    expect(wrong.error).toEqual(unknown.error);
    expect(malformed.error).toEqual(unknown.error);
    expect(wrong.error?.data).toBe('recovery_failed');
    await harness.gateway.stores.accounts.setAccountDisabled(accountId, true);
    expect((await recover(c, username, codes!.codes[0]!)).error).toEqual(unknown.error);
    await harness.gateway.stores.accounts.setAccountDisabled(accountId, false);
    // None of those used a code up.
    expect(c.openJson((await recover(c, username, codes!.codes[0]!)).result?.encrypted_recovery_codes)).toEqual({ remaining: 9 });
  });

  it(`should allow ${RECOVERY_PER_ACCOUNT} attempts an hour per username, from any address, then refuse even the right code`, async () => {
    const { username, codes } = await userWithCodes();
    const c = client();
    for (let i = 0; i < RECOVERY_PER_ACCOUNT; i += 1) expect((await recover(c, username, 'ABCDE-FGHJK', address())).error?.data).toBe('recovery_failed');
    expect((await recover(c, username, codes!.codes[0]!, address())).error?.data).toBe('rate_limited');
    // An unknown username is limited the same way, so the limit tells nothing either.
    const nobody = unique('nobody');
    for (let i = 0; i < RECOVERY_PER_ACCOUNT; i += 1) await recover(c, nobody, 'ABCDE-FGHJK', address());
    expect((await recover(c, nobody, 'ABCDE-FGHJK', address())).error?.data).toBe('rate_limited');
  });

  it(`should allow ${RECOVERY_PER_IP} attempts an hour per address, whatever the usernames`, async () => {
    const from = address();
    const c = client();
    for (let i = 0; i < RECOVERY_PER_IP; i += 1) expect((await recover(c, unique('spray'), 'ABCDE-FGHJK', from)).error?.data).toBe('recovery_failed');
    const { username, codes } = await userWithCodes();
    expect((await recover(c, username, codes!.codes[0]!, from)).error?.data).toBe('rate_limited');
    expect((await recover(c, username, codes!.codes[0]!, address())).error).toBeUndefined();
  });

  it('should replace every code on regenerateRecoveryCodes, which needs a recent sign-in', async () => {
    const { client: c, device, username, codes } = await userWithCodes();
    const session = await signIn(c, device, username);
    const regenerated = await sessionCall<{ codes: string[]; remaining: number }>(c, session, 'regenerateRecoveryCodes');
    expect(regenerated.result?.remaining).toBe(10);
    expect(regenerated.result?.codes.filter((code) => codes!.codes.includes(code))).toEqual([]);
    expect((await recover(c, username, codes!.codes[0]!)).error?.data).toBe('recovery_failed');
    expect((await recover(c, username, regenerated.result!.codes[0]!)).error).toBeUndefined();
    clock.now += (scope.reauth_window_s + 1) * 1000;
    expect((await sessionCall(c, session, 'regenerateRecoveryCodes')).error?.data).toBe('reauthentication_required');
  });

  it('should write every use and failure to the audit log, never the code', async () => {
    const { username, codes, accountId } = await userWithCodes();
    const c = client();
    await recover(c, username, 'ABCDE-FGHJK');
    await recover(c, username, codes!.codes[0]!);
    const events = await harness.gateway.stores.auditLog.listAuditEvents(scope.scope_id, { limit: 1000 });
    const mine = events.filter((event) => event.account_id === accountId).map((event) => [event.event, event.reason]);
    expect(mine).toEqual(expect.arrayContaining([['recovery_failed', 'wrong_code'], ['recovery_code_used', null]]));
    expect(JSON.stringify(events)).not.toContain(codes!.codes[0]!.replace('-', ''));
  });

  it('should give no codes and no recoverAccount in a scope with recovery_codes off, as the admin API sets it', async () => {
    const off = await harness.createScope({ recovery_codes: 'off' });
    const { codes, username } = await userWithCodes(off);
    expect(codes).toBeNull();
    expect((await recover(client(off), username, 'ABCDE-FGHJK')).error?.data).toBe('method_not_found');
    const turned = await harness.createScope();
    const before = await userWithCodes(turned);
    const updated = await adminCall<{ recovery_codes: string }>(harness.url, 'updateScope', { scope_id: turned.scope_id, recovery_codes: 'off' }, gateway.adminToken);
    expect(updated.result?.recovery_codes).toBe('off');
    expect((await recover(client(turned), before.username, before.codes!.codes[0]!)).error?.data).toBe('method_not_found');
  });

  it('should erase the recovery codes and the tokens of a deleted account: none of them brings it back', async () => {
    const { username, codes, accountId } = await userWithCodes();
    const link = (await adminCall<{ registration_token: string }>(harness.url, 'createRecoveryToken', { scope_id: scope.scope_id, account_id: accountId }, gateway.adminToken)).result!;
    const deleted = await adminCall(harness.url, 'deleteAccount', { scope_id: scope.scope_id, account_id: accountId }, gateway.adminToken);
    expect(deleted.error).toBeUndefined();
    expect(await harness.gateway.stores.recoveryCodes.countRecoveryCodes(accountId)).toBe(0);
    expect((await recover(client(), username, codes!.codes[0]!)).error?.data).toBe('recovery_failed');
    await expect(registerWithToken(client(), authenticator(), { registration_token: link.registration_token })).rejects.toThrow(/token_invalid/);
  });

  describe("an operator's recovery link: createRecoveryToken", () => {
    it('should add one passkey to the account, once, and refuse an unknown account or a foreign scope', async () => {
      const { username, accountId } = await userWithCodes();
      const created = await adminCall<{ registration_token: string }>(harness.url, 'createRecoveryToken', { scope_id: scope.scope_id, account_id: accountId }, gateway.adminToken);
      const token = created.result!.registration_token;
      const device = authenticator();
      const added = await registerWithToken(client(), device, { registration_token: token, device_name: 'Recovered phone' });
      expect(added.account_id).toBe(accountId);
      expect(await signIn(client(), device, username)).toEqual(expect.any(String));
      await expect(registerWithToken(client(), authenticator(), { registration_token: token })).rejects.toThrow(/token_invalid/);
      const other = await harness.createScope();
      expect((await adminCall(harness.url, 'createRecoveryToken', { scope_id: other.scope_id, account_id: accountId }, gateway.adminToken)).error?.data).toBe('account_not_found');
      expect((await adminCall(harness.url, 'createRecoveryToken', { scope_id: scope.scope_id, account_id: accountId }, 'wrong-token-wrong-token-wrong-token')).error?.data).toBe('admin_unauthorized');
    });
  });
});
