/**
 * Recovery from the person's side, on the demo page in Chromium: the recovery codes shown after
 * registration get them back in once the only passkey's authenticator is gone, each code once; new
 * codes replace the old set. Screenshots go to test-artifacts/.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminCall } from '../admin/admin-rpc.js';
import type { Browser, Page } from 'playwright-core';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { launchChromiumOrSkip, screenshot, VirtualAuthenticators } from './chromium.js';
import { DemoPage } from './demo-page.js';

execFileSync(process.execPath, ['scripts/build-client.mjs'], { stdio: 'inherit' });
const browser: Browser | null = await launchChromiumOrSkip('demo recovery');
const describeInBrowser = browser === null ? describe.skip : describe;

describeInBrowser('recovery codes on the demo page in Chromium', () => {
  let harness: Harness;
  let page: Page;

  let adminToken: string;
  let tokenDir: string;
  // The gateway's clock runs this far ahead of the real one; it only ever moves forward.
  let clockAhead = 0;
  beforeAll(async () => {
    adminToken = randomBytes(32).toString('base64url');
    tokenDir = mkdtempSync(join(tmpdir(), 'pkgw-recovery-'));
    writeFileSync(join(tokenDir, 'admin-token'), adminToken, { mode: 0o600 });
    harness = await startGateway('embedded', { ADMIN_TOKEN_FILE: join(tokenDir, 'admin-token') }, { now: () => Date.now() + clockAhead });
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    rmSync(tokenDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    page = await browser!.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
  });
  afterEach(async () => {
    await page.close();
  });

  const codesShown = () => page.locator('#recovery-codes li').allInnerTexts();

  async function recover(demo: DemoPage, username: string, code: string): Promise<void> {
    await page.getByLabel('Account username').fill(username);
    await page.getByLabel('Recovery code', { exact: true }).fill(code);
    await page.getByRole('button', { name: 'Recover with a code' }).click();
    await demo.settled();
  }

  it("should get back in with a recovery code after the only passkey's authenticator is gone, each code once", async () => {
    const scope = await harness.createScope({ origins: [harness.url] });
    const authenticators = await VirtualAuthenticators.attach(page);
    const lost = await authenticators.add('ctap2-internal');
    const demo = new DemoPage(page);
    const username = `user-${randomUUID().slice(0, 8)}`;

    await demo.open(harness.url, scope.scope_id);
    await demo.register(username);
    await demo.expectNoError();
    const { accountId } = await demo.account();
    const codes = await codesShown();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await screenshot(page, 'recovery-1-codes-shown');
    await demo.signOut();
    // Shown once: they are gone from the page after signing out.
    expect(await page.locator('#recovery-codes li').count()).toBe(0);

    // The device is lost: its passkey with it. A new device has none for this account.
    await authenticators.remove(lost);
    const replacement = await authenticators.add('ctap2-internal');
    await demo.signIn(username);
    expect((await demo.error())?.reason).toBe('ceremony_cancelled');

    await recover(demo, username, 'AAAAA-AAAAA');
    expect(await demo.error()).toMatchObject({ reason: 'recovery_failed' });
    await recover(demo, username, codes[0]!.toLowerCase());
    await demo.expectNoError();
    await demo.waitForState('signed-in');
    expect((await demo.account()).accountId).toBe(accountId);
    expect(await demo.status()).toBe('A new passkey was added to your account. 9 recovery codes left.');
    expect(await demo.passkeyIds()).toHaveLength(2);
    expect(await authenticators.credentialCount(replacement)).toBe(1);
    await screenshot(page, 'recovery-2-recovered');

    // The new passkey signs in as any other; the used code does not work again.
    await demo.signOut();
    await demo.signIn(username);
    await demo.expectNoError();
    expect((await demo.account()).accountId).toBe(accountId);
    await demo.signOut();
    await recover(demo, username, codes[0]!);
    expect(await demo.error()).toMatchObject({ reason: 'recovery_failed' });
    await screenshot(page, 'recovery-3-code-used');
  });

  it('should not waste a code when the new passkey could not be created: the same recovery session tries again', async () => {
    const scope = await harness.createScope({ origins: [harness.url] });
    const authenticators = await VirtualAuthenticators.attach(page);
    const first = await authenticators.add('ctap2-internal');
    const demo = new DemoPage(page);
    const username = `user-${randomUUID().slice(0, 8)}`;
    await demo.open(harness.url, scope.scope_id);
    await demo.register(username);
    const codes = await codesShown();
    await demo.signOut();

    // The authenticator still holds the account's passkey, so the browser refuses to create another there.
    await recover(demo, username, codes[0]!);
    expect(await demo.error()).toMatchObject({ reason: 'passkey_already_on_device' });
    await authenticators.remove(first);
    await authenticators.add('ctap2-internal');
    // The code is spent, but the recovery session it gave is still held: no second code is used.
    await recover(demo, username, 'not-a-code');
    await demo.expectNoError();
    await demo.waitForState('signed-in');
    expect(await demo.status()).toBe('A new passkey was added to your account. 9 recovery codes left.');
    expect(await demo.passkeyIds()).toHaveLength(2);
  });

  it('should replace every old code with new ones', async () => {
    const scope = await harness.createScope({ origins: [harness.url] });
    const authenticators = await VirtualAuthenticators.attach(page);
    const first = await authenticators.add('ctap2-internal');
    const demo = new DemoPage(page);
    const username = `user-${randomUUID().slice(0, 8)}`;

    await demo.open(harness.url, scope.scope_id);
    await demo.register(username);
    const old = await codesShown();
    await page.getByRole('button', { name: 'New recovery codes' }).click();
    await demo.settled();
    await demo.expectNoError();
    const fresh = await codesShown();
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => old.includes(code))).toEqual([]);
    await demo.signOut();

    await authenticators.remove(first);
    await authenticators.add('ctap2-internal');
    await recover(demo, username, old[1]!);
    expect(await demo.error()).toMatchObject({ reason: 'recovery_failed' });
    await recover(demo, username, fresh[1]!);
    await demo.expectNoError();
    await demo.waitForState('signed-in');
    expect(await demo.status()).toBe('A new passkey was added to your account. 9 recovery codes left.');

    // Past the scope's reauth window (300 s), new codes need a fresh sign-in: the page asks for the passkey, then replaces them.
    clockAhead += 301_000;
    const reauthenticated: string[] = [];
    page.on('request', (request) => {
      const method = (JSON.parse(request.postData() ?? '{}') as { method?: string }).method;
      if (request.method() === 'POST' && method !== undefined) reauthenticated.push(method);
    });
    await page.getByRole('button', { name: 'New recovery codes' }).click();
    await demo.settled();
    await demo.expectNoError();
    expect(reauthenticated).toEqual(['regenerateRecoveryCodes', 'getAccount', 'initiateAuthentication', 'completeAuthentication', 'regenerateRecoveryCodes']);
    const renewed = await codesShown();
    expect(renewed).toHaveLength(10);
    expect(renewed.filter((code) => fresh.includes(code))).toEqual([]);
  });

  it("should add a passkey to the account from an operator's recovery link, once", async () => {
    const scope = await harness.createScope({ origins: [harness.url] });
    const authenticators = await VirtualAuthenticators.attach(page);
    const lost = await authenticators.add('ctap2-internal');
    const demo = new DemoPage(page);
    const username = `user-${randomUUID().slice(0, 8)}`;
    await demo.open(harness.url, scope.scope_id);
    await demo.register(username);
    const { accountId } = await demo.account();
    await demo.signOut();
    await authenticators.remove(lost);
    await authenticators.add('ctap2-internal');

    const reply = await adminCall<{ registration_token: string }>(harness.url, 'createRecoveryToken', { scope_id: scope.scope_id, account_id: accountId }, adminToken);
    const link = `${harness.url}/demo?scope=${scope.scope_id}&autofill=off#registration_token=${reply.result!.registration_token}`;
    await page.goto(link);
    await demo.waitForState('signed-out');
    // The token leaves the address bar before anything else happens.
    expect(page.url()).not.toContain('registration_token');
    await page.getByRole('button', { name: 'Add a passkey with this link' }).click();
    await demo.settled();
    await demo.expectNoError();
    await demo.waitForState('signed-in');
    expect((await demo.account()).accountId).toBe(accountId);
    expect(await demo.status()).toBe('A new passkey was added to your account with your link.');
    expect(await demo.passkeyIds()).toHaveLength(2);
    await screenshot(page, 'recovery-4-link');

    // Used once: the same link again is refused.
    await demo.signOut();
    await page.goto(link);
    await demo.waitForState('signed-out');
    await page.getByRole('button', { name: 'Add a passkey with this link' }).click();
    await demo.settled();
    expect(await demo.error()).toMatchObject({ reason: 'token_invalid' });
  });
});
