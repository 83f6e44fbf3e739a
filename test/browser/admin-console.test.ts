/**
 * The operators' console in real Chromium with WebAuthn virtual authenticators: an operator is
 * invited, registers a passkey, signs in again, disables an account and finds the audit event.
 * Each state is screenshotted into test-artifacts/ (admin-console.png is the README's picture).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { ceremoniesFor } from '../../scripts/lib/ceremonies.js';
import { freePort } from '../../scripts/lib/local-services.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { runOperatorCli } from '../../src/operators/operator-cli.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { launchChromiumOrSkip, screenshot, VirtualAuthenticators } from './chromium.js';

execFileSync(process.execPath, ['scripts/build-client.mjs'], { stdio: 'inherit' });
const browser: Browser | null = await launchChromiumOrSkip('admin console');
const describeInBrowser = browser === null ? describe.skip : describe;
const STEP_TIMEOUT = 10_000;

/** What `settled` reads of the page's DOM (tests compile without the DOM library). */
interface PageDocument {
  querySelector(selector: string): unknown;
  body: { dataset: Record<string, string | undefined> };
}

/** Waits until the action just started has finished (buttons enabled again). */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const { document } = globalThis as unknown as { document: PageDocument };
      return document.querySelector('button:disabled') === null && document.body.dataset.state !== undefined;
    },
    undefined,
    { timeout: STEP_TIMEOUT },
  );
}

async function inviteLink(harness: Harness): Promise<string> {
  const out = await runOperatorCli(['invite'], harness.env);
  expect(out.code).toBe(0);
  return out.stdout.trim();
}

async function errorShown(page: Page): Promise<{ text: string; reason: string | null } | null> {
  const box = page.locator('#error');
  if (!(await box.isVisible())) return null;
  return { text: await box.innerText(), reason: await box.getAttribute('data-reason') };
}

describeInBrowser('admin console in Chromium', () => {
  let harness: Harness;
  let page: Page;

  beforeAll(async () => {
    // The operators' scope's origin is the gateway's public one: a port known before the start.
    const port = await freePort();
    harness = await startGateway('embedded', { PORT: String(port), ADMIN_CONSOLE: 'on', PUBLIC_ORIGIN: `http://localhost:${port}`, WEBHOOK_ALLOW_LOOPBACK: 'on' });
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
  });
  beforeEach(async () => {
    page = await browser!.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
    // Destructive actions ask first; the operator says yes.
    page.on('dialog', (dialog) => void dialog.accept());
  });
  afterEach(async () => {
    await page.close();
  });

  it('should serve the page with a CSP, without any token, and its assets', async () => {
    const response = await fetch(`${harness.url}/admin`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await response.text();
    expect(html).toContain(harness.gateway.operatorScopeId!);
    expect(html).not.toMatch(/Bearer|admin-token/i);
    expect((await fetch(`${harness.url}/admin/console.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${harness.url}/admin/console.css`)).headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('should register an invited operator, sign in again, disable an account and show its audit event; the invite works once', async () => {
    // An account of an app's scope, for the operator to disable.
    const shop = await harness.createScope({ name: 'shop', origins: [harness.url] });
    const username = `user-${randomUUID().slice(0, 8)}`;
    const userPasskey = new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });
    const user = await ceremoniesFor(harness.url).register(new RpcClient(harness.url, shop.scope_id, harness.publicKey), userPasskey, username);

    const authenticators = await VirtualAuthenticators.attach(page);
    await authenticators.add('ctap2-internal');
    const link = await inviteLink(harness);
    await page.goto(link);
    await page.waitForSelector('body[data-state="signed-out"]', { timeout: STEP_TIMEOUT });
    await screenshot(page, 'admin-1-invited');
    await page.getByLabel('Username', { exact: true }).fill('ops-alice');
    await page.getByLabel('Display name').fill('Alice (operations)');
    await page.getByRole('button', { name: 'Register with a passkey' }).click();
    await page.waitForSelector('body[data-state="signed-in"]', { timeout: STEP_TIMEOUT });
    await settled(page);
    expect(await errorShown(page)).toBeNull();
    // The token does not stay in the address bar once used.
    expect(new URL(page.url()).hash).toBe('');
    await expect(page.locator('#who').innerText()).resolves.toContain('ops-alice');
    // The scopes panel lists the app's scope and the operators' own.
    await page.getByRole('cell', { name: 'shop', exact: true }).waitFor({ timeout: STEP_TIMEOUT });
    await page.getByRole('cell', { name: 'operators', exact: true }).waitFor({ timeout: STEP_TIMEOUT });
    await screenshot(page, 'admin-2-scopes');

    // Edit a scope: the row fills the form, the operator keeps one setting and saves it.
    await page.getByRole('button', { name: 'Edit scope shop' }).click();
    const settings = page.getByLabel(/Settings to change/);
    await expect(settings.inputValue()).resolves.toContain('"rp_id": "localhost"');
    await settings.fill('{"session_ttl": 1200}');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await settled(page);
    expect(await errorShown(page)).toBeNull();
    await expect(harness.gateway.stores.scopes.getScope(shop.scope_id)).resolves.toMatchObject({ session_ttl: 1200, origins: [harness.url] });
    // A new scope from JSON settings, listed at once.
    await page.getByLabel(/Settings \(JSON/).fill('{"name": "blog", "rp_id": "blog.example", "origins": ["https://blog.example"]}');
    await page.getByRole('button', { name: 'Create scope' }).click();
    await settled(page);
    expect(await errorShown(page)).toBeNull();
    await expect(page.locator('#status').innerText()).resolves.toMatch(/Scope “blog” created/);
    await page.getByRole('cell', { name: 'blog.example', exact: true }).waitFor({ timeout: STEP_TIMEOUT });
    // The operators' own scope has no Edit button.
    await expect(page.getByRole('button', { name: 'Edit scope operators' }).count()).resolves.toBe(0);

    // Signed out and in again with the same passkey (discoverable: no username needed).
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForSelector('body[data-state="signed-out"]', { timeout: STEP_TIMEOUT });
    await settled(page);
    await expect(page.locator('#register-form').isVisible()).resolves.toBe(false);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForSelector('body[data-state="signed-in"]', { timeout: STEP_TIMEOUT });
    await settled(page);

    // Find the account and disable it.
    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name: 'Accounts' }).click();
    const accounts = page.locator('#panel-accounts');
    const filters = accounts.getByRole('form', { name: 'Accounts: filters' });
    await filters.getByLabel('Scope').selectOption(shop.scope_id);
    await filters.getByLabel('Username starts with').fill(username);
    await filters.getByRole('button', { name: 'Show' }).click();
    await settled(page);
    await expect(accounts.getByRole('cell', { name: user.account_id }).count()).resolves.toBe(1);
    await accounts.getByRole('button', { name: `Disable account ${username}` }).click();
    await settled(page);
    expect(await errorShown(page)).toBeNull();
    await expect(page.locator('#status').innerText()).resolves.toContain(`Disable: done for account ${username}`);
    // The list shows it disabled, with Enable in place of Disable.
    await expect(accounts.getByRole('row').filter({ hasText: username }).innerText()).resolves.toContain('disabled');
    await expect(accounts.getByRole('button', { name: `Enable account ${username}` }).count()).resolves.toBe(1);
    await screenshot(page, 'admin-3-accounts');

    // Its passkeys, one click away.
    await accounts.getByRole('button', { name: `Passkeys account ${username}` }).click();
    await settled(page);
    const passkeys = page.locator('#panel-passkeys');
    await expect(passkeys.isVisible()).resolves.toBe(true);
    await expect(passkeys.getByRole('row').count()).resolves.toBe(2);
    // Its only passkey stays: the gateway's reason is shown, the row too.
    await passkeys.getByRole('button', { name: /^Delete passkey / }).click();
    await settled(page);
    await expect(errorShown(page)).resolves.toMatchObject({ reason: 'last_credential' });
    await expect(passkeys.getByRole('row').count()).resolves.toBe(2);

    // The audit log shows it.
    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name: 'Audit log' }).click();
    const audit = page.locator('#panel-audit');
    await audit.getByLabel('Scope').selectOption(shop.scope_id);
    await audit.getByLabel('Event type').fill('account_disabled');
    await audit.getByRole('button', { name: 'Show' }).click();
    await settled(page);
    const row = audit.getByRole('row').filter({ hasText: 'account_disabled' });
    await expect(row.count()).resolves.toBe(1);
    await expect(row.innerText()).resolves.toContain(user.account_id);
    await expect(row.innerText()).resolves.toContain('operator');
    await screenshot(page, 'admin-console');

    // A webhook endpoint for the scope: its secret shown once, the endpoint listed without it.
    await page.getByRole('navigation', { name: 'Console sections' }).getByRole('button', { name: 'Webhooks' }).click();
    const webhooks = page.locator('#panel-webhooks');
    const add = webhooks.getByRole('form', { name: 'Add an endpoint' });
    await add.getByLabel('Scope').selectOption(shop.scope_id);
    await add.getByLabel('URL (https://)').fill('http://127.0.0.1:9/hooks');
    await add.getByLabel(/Event types/).fill('account_disabled, account_enabled');
    await add.getByRole('button', { name: 'Add endpoint' }).click();
    await settled(page);
    expect(await errorShown(page)).toBeNull();
    await expect(page.locator('#status').innerText()).resolves.toMatch(/signing secret, shown this once: whsec_/);
    const listed = webhooks.getByRole('form', { name: 'Webhook endpoints: filters' });
    await listed.getByLabel('Scope').selectOption(shop.scope_id);
    await listed.getByRole('button', { name: 'Show' }).click();
    await settled(page);
    const endpoint = webhooks.getByRole('row').filter({ hasText: 'http://127.0.0.1:9/hooks' });
    await expect(endpoint.innerText()).resolves.toContain('account_disabled, account_enabled');
    await expect(endpoint.innerText()).resolves.not.toContain('whsec_');

    // The user's sign-ins are refused now.
    const signIn = await ceremoniesFor(harness.url)
      .signIn(new RpcClient(harness.url, shop.scope_id, harness.publicKey), userPasskey, username)
      .catch((error: Error) => error.message);
    expect(signIn).toMatch(/account_disabled/);

    // The same link in another browser page: refused.
    const second = await browser!.newPage();
    try {
      const others = await VirtualAuthenticators.attach(second);
      await others.add('ctap2-internal');
      await second.goto(link);
      await second.waitForSelector('body[data-state="signed-out"]', { timeout: STEP_TIMEOUT });
      await second.getByLabel('Username', { exact: true }).fill('ops-mallory');
      await second.getByRole('button', { name: 'Register with a passkey' }).click();
      await settled(second);
      expect(await errorShown(second)).toMatchObject({ reason: 'invite_invalid' });
      await expect(second.locator('body').getAttribute('data-state')).resolves.toBe('signed-out');
      await screenshot(second, 'admin-4-invite-used');
    } finally {
      await second.close();
    }
  });
});
