/**
 * The demo's "app with its own users" flow in real Chromium with a virtual authenticator: the app's
 * backend (scripts/own-users-app.ts, with the scope's API key and the Node helper) signs its user in
 * with a password, gets a registration token for the user's id; the page registers a passkey with
 * it, cross-origin to the gateway; a later passkey sign-in is trusted by the app only through
 * verifySignIn. Screenshots go to test-artifacts/.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startOwnUsersApp, type OwnUsersApp } from '../../scripts/own-users-app.js';
import { GatewayServer } from '../../src/server/index.js';
import { createKey } from '../api-keys/server-rpc.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { launchChromiumOrSkip, screenshot, VirtualAuthenticators } from './chromium.js';

execFileSync(process.execPath, ['scripts/build-client.mjs'], { stdio: 'inherit' });
const browser: Browser | null = await launchChromiumOrSkip('own-users demo');
const describeInBrowser = browser === null ? describe.skip : describe;
const STEP_TIMEOUT = 10_000;

/** A port free a moment ago, so the scope can name the app's origin before the app starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describeInBrowser("the demo's app with its own users, in Chromium", () => {
  let harness: Harness;
  let tokenDir: string;
  let app: OwnUsersApp;
  let apiKey: string;
  let helper: GatewayServer;
  let page: Page;

  beforeAll(async () => {
    const adminToken = randomBytes(32).toString('base64url');
    tokenDir = mkdtempSync(join(tmpdir(), 'pkgw-own-users-'));
    writeFileSync(join(tokenDir, 'admin-token'), adminToken, { mode: 0o600 });
    harness = await startGateway('embedded', { ADMIN_TOKEN_FILE: join(tokenDir, 'admin-token') });
    const port = await freePort();
    const scope = await harness.createScope({ origins: [`http://localhost:${port}`] });
    apiKey = (await createKey(harness.url, adminToken, scope.scope_id)).secret;
    app = await startOwnUsersApp({ gatewayUrl: harness.url, scopeId: scope.scope_id, apiKey, publicKey: harness.publicKey, port });
    helper = new GatewayServer({ url: harness.url, scopeId: scope.scope_id, apiKey });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
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

  const settled = () =>
    page.waitForFunction(
      () => {
        const { document } = globalThis as unknown as { document: { querySelector(selector: string): unknown; body: { dataset: Record<string, string | undefined> } } };
        return document.querySelector('button:disabled') === null && document.body.dataset.state !== undefined;
      },
      undefined,
      { timeout: STEP_TIMEOUT },
    );
  const state = () => page.locator('body').getAttribute('data-state');
  const text = (id: string) => page.locator(`#${id}`).innerText();
  const errorShown = async () => ((await page.locator('#error').isVisible()) ? { message: await text('error'), reason: await page.locator('#error').getAttribute('data-reason') } : null);

  it('should add a passkey to a password user through a registration token, then sign that user in with it through verifySignIn', async () => {
    const authenticators = await VirtualAuthenticators.attach(page);
    const device = await authenticators.add('ctap2-internal');
    // What the page sends the app's backend after a passkey sign-in, to try it again below.
    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/passkeys/sign-in')) sent.push(request.postData() ?? '');
    });

    await page.goto(app.url);
    await settled();
    expect(await state()).toBe('signed-out');
    await screenshot(page, 'own-users-1-signed-out');

    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in with password' }).click();
    await settled();
    expect(await errorShown()).toEqual({ message: 'Wrong username or password.', reason: 'wrong_password' });

    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('alice-password');
    await page.getByRole('button', { name: 'Sign in with password' }).click();
    await settled();
    expect(await state()).toBe('signed-in');
    expect(await text('user-id')).toBe('u-1001');
    expect(await text('user-method')).toBe('a password');
    expect(await text('user-account-id')).toBe('none yet');

    await page.getByLabel('Name of this passkey (optional)').fill('Alice laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await settled();
    expect(await errorShown()).toBeNull();
    expect(await text('status')).toBe('Passkey added. Next time, sign in with it.');
    expect(await authenticators.credentialCount(device)).toBe(1);
    const account = await helper.findAccount({ username: 'alice' });
    expect(await text('user-account-id')).toBe(account.account_id);
    // The account got the app's name for the passkey, and recovery codes, since the app gave it a username.
    expect((await helper.listAccountCredentials({ account_id: account.account_id })).map((passkey) => passkey.name)).toEqual(['Alice laptop']);
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await screenshot(page, 'own-users-2-passkey-added');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await settled();
    expect(await state()).toBe('signed-out');

    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await settled();
    expect(await errorShown()).toBeNull();
    expect(await state()).toBe('signed-in');
    expect(await text('user-id')).toBe('u-1001');
    expect(await text('user-method')).toBe('a passkey');
    expect(await text('status')).toBe('Signed in as Alice Example with your passkey.');
    await screenshot(page, 'own-users-3-passkey-sign-in');

    // The sign-in token the page handed over is spent: replayed to the app, the gateway refuses it.
    expect(sent).toHaveLength(1);
    const replay = await fetch(`${app.url}/api/passkeys/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent[0] });
    expect(replay.status).toBe(502);
    expect(await replay.json()).toEqual({ error: 'token_invalid' });

    // Now that Alice has a passkey, her password is a first factor only: the app asks for the passkey as a second one.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await settled();
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('alice-password');
    await page.getByRole('button', { name: 'Sign in with password' }).click();
    await settled();
    expect(await errorShown()).toBeNull();
    expect(await state()).toBe('signed-in');
    expect(await text('user-method')).toBe('a password and a passkey');
    expect(await text('status')).toBe('Signed in as Alice Example with your password and passkey.');
    await screenshot(page, 'own-users-4-second-factor');
    // A password alone gets no further than the second-factor step: the app's own API refuses it.
    const firstFactor = await fetch(`${app.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-password' }) });
    const pending = firstFactor.headers.get('set-cookie')?.split(';')[0] ?? '';
    expect(Object.keys((await firstFactor.json()) as object)).toEqual(['second_factor']);
    const tokenRequest = await fetch(`${app.url}/api/passkeys/registration-token`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: pending }, body: '{}' });
    expect(tokenRequest.status).toBe(401);
  });

  it('should keep the API key on the server: neither the page nor its script holds it', async () => {
    const html = await (await fetch(app.url)).text();
    const script = await (await fetch(`${app.url}/own-users.js`)).text();
    expect(html).toContain('"scopeId"');
    expect(html).not.toContain(apiKey);
    expect(script).not.toContain(apiKey);
  });

  it('should refuse a registration token to a visitor the app has not signed in', async () => {
    const response = await fetch(`${app.url}/api/passkeys/registration-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'not_signed_in' });
  });
});
