/**
 * The browser client's Signal API calls, in Chromium through the demo page: after a passkey is
 * renamed or deleted and after the display name changes, the client tells the browser the account's
 * passkeys and names (signalAllAcceptedCredentials, signalCurrentUserDetails); after a usernameless
 * sign-in the gateway answered `unknown_credential`, the passkey (signalUnknownCredential). The
 * calls are recorded by a stand-in installed before the page loads; without the API the page works
 * as before.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { launchChromiumOrSkip, VirtualAuthenticators } from './chromium.js';
import { DemoPage } from './demo-page.js';

execFileSync(process.execPath, ['scripts/build-client.mjs'], { stdio: 'inherit' });
const browser: Browser | null = await launchChromiumOrSkip('Signal API');
const describeInBrowser = browser === null ? describe.skip : describe;

interface SignalCall {
  name: string;
  options: Record<string, unknown>;
}

/** Replaces (or removes) PublicKeyCredential's signal methods before any page script runs. */
async function installSignals(page: Page, mode: 'record' | 'absent'): Promise<void> {
  await page.addInitScript((how: string) => {
    // Runs in the page; typed by hand (tests compile without the DOM library).
    const page = globalThis as unknown as { __signals: unknown[]; PublicKeyCredential: Record<string, unknown> };
    page.__signals = [];
    for (const name of ['signalAllAcceptedCredentials', 'signalCurrentUserDetails', 'signalUnknownCredential']) {
      if (how === 'absent') delete page.PublicKeyCredential[name];
      else page.PublicKeyCredential[name] = (options: unknown) => (page.__signals.push({ name, options }), Promise.resolve());
    }
  }, mode);
}

const signals = (page: Page) => page.evaluate(() => (globalThis as unknown as { __signals: SignalCall[] }).__signals);
const clearSignals = (page: Page) => page.evaluate(() => void ((globalThis as unknown as { __signals: unknown[] }).__signals.length = 0));

describeInBrowser('Signal API in Chromium', () => {
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

  it('should signal the accepted passkeys and the user details after a rename, a display name change and a delete', async () => {
    await installSignals(page, 'record');
    const scope = await harness.createScope({ origins: [harness.url] });
    const authenticators = await VirtualAuthenticators.attach(page);
    const first = await authenticators.add('ctap2-internal');
    const demo = new DemoPage(page);
    const username = unique();
    await demo.open(harness.url, scope.scope_id);
    await demo.register(username, 'Alice');
    await demo.waitForState('signed-in');
    // CDP gives the user handle in base64; the signals name it as WebAuthn JSON does, base64url.
    const userId = Buffer.from((await authenticators.credentials(first))[0]!.userHandle ?? '', 'base64').toString('base64url');
    await authenticators.remove(first);
    await authenticators.add('ctap2-internal');
    await demo.addPasskey();
    await demo.expectNoError();
    const ids = await demo.passkeyIds();
    expect(ids).toHaveLength(2);
    await clearSignals(page);

    await demo.renamePasskey(0, 'Laptop');
    await demo.expectNoError();
    const afterRename = await signals(page);
    expect(afterRename).toEqual(
      expect.arrayContaining([
        { name: 'signalAllAcceptedCredentials', options: { rpId: 'localhost', userId, allAcceptedCredentialIds: ids } },
        { name: 'signalCurrentUserDetails', options: { rpId: 'localhost', userId, name: username, displayName: 'Alice' } },
      ]),
    );
    await clearSignals(page);

    await page.getByLabel('Name to show').fill('Alice Liddell');
    await page.getByRole('button', { name: 'Save name' }).click();
    await demo.settled();
    await demo.expectNoError();
    expect(await signals(page)).toContainEqual({ name: 'signalCurrentUserDetails', options: expect.objectContaining({ name: username, displayName: 'Alice Liddell' }) as unknown });
    await clearSignals(page);

    await demo.deletePasskey(0);
    await demo.expectNoError();
    expect(await signals(page)).toContainEqual({ name: 'signalAllAcceptedCredentials', options: expect.objectContaining({ allAcceptedCredentialIds: [ids[1]] }) as unknown });
    expect((await signals(page)).filter((call) => call.name === 'signalUnknownCredential')).toEqual([]);
  });

  it('should signal an unknown credential only when the gateway says no account holds it', async () => {
    await installSignals(page, 'record');
    const known = await harness.createScope({ origins: [harness.url] });
    // A second scope on the same RP id, where the passkey the browser holds belongs to no account.
    const empty = await harness.createScope({ origins: [harness.url] });
    const authenticators = await VirtualAuthenticators.attach(page);
    const authenticator = await authenticators.add('ctap2-internal');
    const demo = new DemoPage(page);
    await demo.open(harness.url, known.scope_id);
    await demo.register(unique());
    await demo.waitForState('signed-in');
    const [credential] = await authenticators.credentials(authenticator);

    await demo.open(harness.url, empty.scope_id);
    await demo.signIn();
    expect((await demo.error())?.reason).toBe('unknown_credential');
    expect((await signals(page)).filter((call) => call.name === 'signalUnknownCredential')).toEqual([
      { name: 'signalUnknownCredential', options: { rpId: 'localhost', credentialId: Buffer.from(credential!.credentialId, 'base64').toString('base64url') } },
    ]);
  });

  it('should work as before where the browser has no Signal API', async () => {
    await installSignals(page, 'absent');
    const scope = await harness.createScope({ origins: [harness.url] });
    const authenticators = await VirtualAuthenticators.attach(page);
    await authenticators.add('ctap2-internal');
    const demo = new DemoPage(page);
    await demo.open(harness.url, scope.scope_id);
    await demo.register(unique());
    await demo.waitForState('signed-in');
    await demo.renamePasskey(0, 'Work laptop');
    await demo.expectNoError();
    expect(await demo.passkeyNames()).toEqual(['Work laptop']);
    await page.getByLabel('Name to show').fill('Bob');
    await page.getByRole('button', { name: 'Save name' }).click();
    await demo.settled();
    await demo.expectNoError();
    expect(await signals(page)).toEqual([]);
  });
});
