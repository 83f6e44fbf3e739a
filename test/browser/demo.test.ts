/**
 * The demo page in real Chromium with WebAuthn virtual authenticators: what a person does on
 * GET /demo, end to end through the gateway. Each state is screenshotted into test-artifacts/.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { launchChromiumOrSkip, screenshot, VirtualAuthenticators } from './chromium.js';
import { DemoPage } from './demo-page.js';

execFileSync(process.execPath, ['scripts/build-client.mjs'], { stdio: 'inherit' });
const browser: Browser | null = await launchChromiumOrSkip('demo page');
const describeInBrowser = browser === null ? describe.skip : describe;

describeInBrowser('demo page in Chromium', () => {
  let harness: Harness;
  let page: Page;
  const unique = () => `user-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    harness = await startGateway('embedded');
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
  });
  beforeEach(async () => {
    page = await browser!.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
  });
  afterEach(async () => {
    await page.close();
  });

  it('should serve the page with a CSP and its assets with their content types', async () => {
    const response = await fetch(`${harness.url}/demo`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await response.text()).toContain(harness.publicKey);
    expect((await fetch(`${harness.url}/demo/demo.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${harness.url}/demo/demo.css`)).headers.get('content-type')).toMatch(/^text\/css/);
    expect((await fetch(`${harness.url}/demo?scope=nope`)).status).toBe(400);
  });

  it('should register, sign out, sign in with and without a username, and manage passkeys with a platform passkey', async () => {
    const scope = await harness.createScope({ origins: [harness.url], user_verification: 'required' });
    const authenticators = await VirtualAuthenticators.attach(page);
    const first = await authenticators.add('ctap2-internal');
    const demo = new DemoPage(page);
    const username = unique();

    await demo.open(harness.url, scope.scope_id);
    await screenshot(page, 'demo-1-signed-out');

    await demo.register(username, 'Alice Example');
    await demo.expectNoError();
    await demo.waitForState('signed-in');
    const account = await demo.account();
    expect(account.username).toBe(`Alice Example (${username})`);
    expect(account.accountId).toMatch(/^[0-9a-f-]{36}$/);
    expect(account.identifierHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(account.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(await demo.passkeyNames()).toHaveLength(1);
    expect(await authenticators.credentialCount(first)).toBe(1);
    await screenshot(page, 'demo-2-signed-in');

    await demo.signOut();
    expect(await demo.status()).toBe('Signed out.');

    await demo.signIn(username);
    await demo.expectNoError();
    await demo.waitForState('signed-in');
    expect((await demo.account()).accountId).toBe(account.accountId);

    await demo.signOut();
    await demo.signIn();
    await demo.expectNoError();
    await demo.waitForState('signed-in');
    expect((await demo.account()).accountId).toBe(account.accountId);

    // The same authenticator cannot hold a second passkey for the account (excludeCredentials).
    await demo.addPasskey();
    expect(await demo.error()).toEqual({ message: 'This device already holds a passkey for this account.', reason: 'passkey_already_on_device' });
    await screenshot(page, 'demo-3-error');

    await authenticators.remove(first);
    const second = await authenticators.add('ctap2-internal');
    await demo.addPasskey();
    await demo.expectNoError();
    expect(await demo.passkeyNames()).toHaveLength(2);

    await demo.renamePasskey(0, 'Work laptop');
    await demo.expectNoError();
    expect(await demo.passkeyNames()).toContain('Work laptop');
    await screenshot(page, 'demo-4-passkeys');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'demo-4-passkeys-phone');
    await page.setViewportSize({ width: 1280, height: 720 });

    await demo.deletePasskey(0);
    await demo.expectNoError();
    expect(await demo.passkeyNames()).toHaveLength(1);
    await demo.deletePasskey(0);
    expect(await demo.error()).toEqual({ message: 'You cannot delete your only passkey. Add another one first.', reason: 'last_credential' });

    // The remaining passkey (on the second authenticator) signs in without a username.
    await demo.signOut();
    await demo.signIn();
    await demo.expectNoError();
    expect((await demo.account()).accountId).toBe(account.accountId);
    expect(await authenticators.credentialCount(second)).toBe(1);

    // Conditional UI: the browser offers the passkey in the username field's autofill (Chromium's
    // virtual authenticator picks it at once, where a person would choose it from the list).
    await demo.signOut();
    await demo.open(harness.url, scope.scope_id, { autofill: true });
    await demo.waitForState('signed-in');
    expect(await demo.status()).toBe('Signed in with autofill.');
    expect((await demo.account()).accountId).toBe(account.accountId);
  });

  it('should say so when a username is taken', async () => {
    const scope = await harness.createScope({ origins: [harness.url] });
    const authenticators = await VirtualAuthenticators.attach(page);
    const first = await authenticators.add('ctap2-internal');
    const demo = new DemoPage(page);
    const username = unique();
    await demo.open(harness.url, scope.scope_id);
    await demo.register(username);
    await demo.signOut();

    // Another device (Chromium allows one internal authenticator per tab at a time).
    await authenticators.remove(first);
    await authenticators.add('ctap2-internal');
    await demo.register(username);
    expect(await demo.error()).toEqual({ message: 'That username is taken. Choose another, or sign in.', reason: 'account_exists' });
    await screenshot(page, 'demo-5-username-taken');
  });

  it('should register, sign in and manage passkeys with a U2F security key on a scope that prefers user verification', async () => {
    const scope = await harness.createScope({ origins: [harness.url], user_verification: 'preferred' });
    const authenticators = await VirtualAuthenticators.attach(page);
    const first = await authenticators.add('u2f-usb');
    const demo = new DemoPage(page);
    const username = unique();

    await demo.open(harness.url, scope.scope_id);
    await demo.register(username);
    await demo.expectNoError();
    await demo.waitForState('signed-in');
    const { accountId } = await demo.account();

    await demo.signOut();
    await demo.signIn(username);
    await demo.expectNoError();
    await demo.waitForState('signed-in');
    expect((await demo.account()).accountId).toBe(accountId);

    await demo.renamePasskey(0, 'Blue key');
    expect(await demo.passkeyNames()).toEqual(['Blue key']);

    await authenticators.remove(first);
    await authenticators.add('u2f-usb');
    await demo.addPasskey();
    await demo.expectNoError();
    expect(await demo.passkeyNames()).toHaveLength(2);
    await screenshot(page, 'demo-6-security-keys');

    // Delete the first key; the second one still signs in.
    const names = await demo.passkeyNames();
    await demo.deletePasskey(names.indexOf('Blue key'));
    expect(await demo.passkeyNames()).not.toContain('Blue key');
    await demo.signOut();
    await demo.signIn(username);
    await demo.expectNoError();
    expect((await demo.account()).accountId).toBe(accountId);
  });
});
