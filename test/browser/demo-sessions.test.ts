/**
 * Sessions of the demo page in real Chromium, through the gateway: kept across reloads (the client's
 * AES key with them, in IndexedDB), a fresh passkey sign-in when adding or deleting a passkey needs
 * one, and signing out on every device. The gateway's clock is moved forward (never back) to age a
 * sign-in past the scope's reauthentication window.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Scope } from '../../src/domain/scope.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { launchChromiumOrSkip, screenshot, VirtualAuthenticators } from './chromium.js';
import { DemoPage } from './demo-page.js';

execFileSync(process.execPath, ['scripts/build-client.mjs'], { stdio: 'inherit' });
const browser: Browser | null = await launchChromiumOrSkip('demo page sessions');
const describeInBrowser = browser === null ? describe.skip : describe;

/** The default reauth_window_s, plus a second. */
const PAST_THE_REAUTH_WINDOW_MS = 301_000;

/**
 * The page's JSON-RPC calls in order, by method; `before(method, hook)` holds the next call of that
 * method until the hook has run (the test's moment between two steps of one click).
 */
async function watchRpc(page: Page): Promise<{ methods: string[]; before(method: string, hook: () => Promise<void>): void }> {
  const methods: string[] = [];
  const hooks = new Map<string, () => Promise<void>>();
  await page.route(
    (url) => url.pathname === '/',
    async (route) => {
      const method = String((route.request().postDataJSON() as { method?: unknown } | null)?.method);
      methods.push(method);
      const hook = hooks.get(method);
      hooks.delete(method);
      await hook?.();
      await route.continue();
    },
  );
  return { methods, before: (method, hook) => hooks.set(method, hook) };
}

describeInBrowser('demo page sessions in Chromium', () => {
  let harness: Harness;
  let scope: Scope;
  let clockAhead = 0;
  let contexts: BrowserContext[] = [];
  const unique = () => `user-${randomUUID().slice(0, 8)}`;

  /** A page in a browser context of its own (its own IndexedDB, as another browser or profile would have). */
  async function newPage(): Promise<{ page: Page; demo: DemoPage; authenticators: VirtualAuthenticators }> {
    const context = await browser!.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
    return { page, demo: new DemoPage(page), authenticators: await VirtualAuthenticators.attach(page) };
  }

  beforeAll(async () => {
    harness = await startGateway('embedded', {}, { now: () => Date.now() + clockAhead });
    scope = await harness.createScope({ origins: [harness.url] });
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
  });
  afterEach(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    contexts = [];
  });

  it('should stay signed in across a reload, with a key page scripts cannot read, and stay signed out after signing out', async () => {
    const { page, demo, authenticators } = await newPage();
    await authenticators.add('ctap2-internal');
    await demo.open(harness.url, scope.scope_id);
    await demo.register(unique(), 'Reload Example');
    await demo.waitForState('signed-in');
    const account = await demo.account();

    await demo.reload();
    await demo.expectNoError();
    expect(await demo.state()).toBe('signed-in');
    expect(await demo.account()).toEqual(account);
    // The AES key is kept as a non-extractable CryptoKey next to the sealed session and its header value.
    expect(await demo.storedClientState()).toEqual([
      { fields: ['aesKey', 'encryptedKey', 'publicKey', 'session'], key: '[object CryptoKey]', algorithm: 'AES-GCM', extractable: false, exported: 'refused: InvalidAccessError' },
    ]);
    await screenshot(page, 'demo-7-signed-in-after-reload');

    await demo.signOut();
    expect(await demo.storedClientState()).toEqual([]);
    await demo.reload();
    await demo.expectNoError();
    expect(await demo.state()).toBe('signed-out');
  });

  it('should sign in again with the passkey when adding or deleting one needs a recent sign-in', async () => {
    const { page, demo, authenticators } = await newPage();
    const first = await authenticators.add('ctap2-internal');
    const rpc = await watchRpc(page);
    await demo.open(harness.url, scope.scope_id);
    await demo.register(unique());
    await demo.waitForState('signed-in');
    const [firstPasskey] = await demo.passkeyIds();

    clockAhead += PAST_THE_REAUTH_WINDOW_MS;
    // The passkey on this device answers the sign-in. The new passkey is then made on another
    // authenticator, since one holding a passkey of the account refuses to make another (excludeCredentials).
    let statusWhileSigningIn = '';
    rpc.before('completeAuthentication', async () => {
      statusWhileSigningIn = await demo.status();
      await authenticators.remove(first);
      await authenticators.add('ctap2-internal');
    });
    rpc.methods.length = 0;
    await demo.addPasskey();
    await demo.expectNoError();
    expect(statusWhileSigningIn).toBe('Confirm it is you with your passkey.');
    expect(rpc.methods.slice(0, 6)).toEqual(['getAccount', 'initiateRegistration', 'initiateAuthentication', 'completeAuthentication', 'initiateRegistration', 'completeRegistration']);
    expect(await demo.status()).toBe('Passkey added.');
    expect(await demo.passkeyIds()).toHaveLength(2);

    // The sign-in the new passkey started ages too; deleting the first passkey asks for the new one.
    clockAhead += PAST_THE_REAUTH_WINDOW_MS;
    rpc.methods.length = 0;
    await demo.deletePasskey((await demo.passkeyIds()).indexOf(firstPasskey!));
    await demo.expectNoError();
    // Chromium has the Signal API: the client first reads the account, to tell the browser which passkeys remain.
    expect([...rpc.methods.slice(0, 2)].sort()).toEqual(['getAccount', 'listCredentials']);
    expect(rpc.methods.slice(2, 7)).toEqual(['deleteCredential', 'getAccount', 'initiateAuthentication', 'completeAuthentication', 'deleteCredential']);
    expect(await demo.status()).toMatch(/^Passkey “.+” deleted\.$/);
    expect(await demo.state()).toBe('signed-in');
    const remaining = await demo.passkeyIds();
    expect(remaining).toHaveLength(1);
    expect(remaining).not.toContain(firstPasskey);
  });

  it('should sign out, and say why, when the passkey the session was started with is deleted', async () => {
    const { page, demo, authenticators } = await newPage();
    const first = await authenticators.add('ctap2-internal');
    await demo.open(harness.url, scope.scope_id);
    await demo.register(unique());
    await demo.waitForState('signed-in');
    const [firstPasskey] = await demo.passkeyIds();
    await authenticators.remove(first);
    await authenticators.add('ctap2-internal');
    await demo.addPasskey();
    await demo.expectNoError();

    // The client now holds the session the added passkey started: deleting that passkey ends it.
    const added = (await demo.passkeyIds()).find((id) => id !== firstPasskey);
    await demo.deletePasskey((await demo.passkeyIds()).indexOf(added!));
    await demo.waitForState('signed-out');
    await demo.expectNoError();
    expect(await demo.status()).toMatch(/^Passkey “.+” deleted\. You had signed in with it, so you are signed out: sign in with another passkey\.$/);
    await screenshot(page, 'demo-8-signed-out-by-deleting-its-passkey');
    await demo.reload();
    expect(await demo.state()).toBe('signed-out');
  });

  it("should end another browser's session with Sign out everywhere", async () => {
    const laptop = await newPage();
    const phone = await newPage();
    const username = unique();
    const laptopKey = await laptop.authenticators.add('ctap2-internal');
    await laptop.demo.open(harness.url, scope.scope_id);
    await laptop.demo.register(username);
    await laptop.demo.waitForState('signed-in');
    const { accountId } = await laptop.demo.account();

    // The same passkey, synced to the phone, signs in there.
    const phoneKey = await phone.authenticators.add('ctap2-internal');
    for (const credential of await laptop.authenticators.credentials(laptopKey)) await phone.authenticators.addCredential(phoneKey, credential);
    await phone.demo.open(harness.url, scope.scope_id);
    await phone.demo.signIn(username);
    await phone.demo.expectNoError();
    await phone.demo.waitForState('signed-in');
    expect((await phone.demo.account()).accountId).toBe(accountId);

    await laptop.demo.signOut({ everywhere: true });
    await laptop.demo.expectNoError();
    expect(await laptop.demo.status()).toBe('Signed out on every device.');
    await screenshot(laptop.page, 'demo-9-signed-out-everywhere');

    // The phone still shows the account; its next action finds the session ended.
    expect(await phone.demo.state()).toBe('signed-in');
    await phone.demo.renamePasskey(0, 'Phone');
    expect(await phone.demo.error()).toEqual({ message: 'Your session has ended. Please sign in again.', reason: 'session_invalid' });
    expect(await phone.demo.state()).toBe('signed-out');
    // And it forgot the session, so a reload does not bring it back.
    await phone.demo.reload();
    await phone.demo.expectNoError();
    expect(await phone.demo.state()).toBe('signed-out');
  });
});
