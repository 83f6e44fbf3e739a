/**
 * The published @0xpass/passport and @0xpass/webauthn-signer, bundled with esbuild as an app would
 * bundle them, run in Chromium against the gateway: register() and authenticate() with a virtual
 * platform authenticator, cross-origin (the app's page comes from another loopback port, so CORS
 * preflights happen as in a real deployment).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { recoverMessageAddress, type Hex } from 'viem';
import type { Browser, Page } from 'playwright-core';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { launchChromiumOrSkip, VirtualAuthenticators } from './chromium.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const browser: Browser | null = await launchChromiumOrSkip('Passport SDK in the browser');
const describeInBrowser = browser === null ? describe.skip : describe;

/** The app: a page and the bundle, on its own loopback port (a real server: Chromium's local-network checks want one). */
async function serveApp(bundle: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const js = req.url === '/sdk.js';
    res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html' });
    res.end(js ? bundle : '<!doctype html><title>app</title><script src="/sdk.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://localhost:${(server.address() as AddressInfo).port}` };
}

async function bundleSdk(): Promise<string> {
  const result = await build({
    entryPoints: [`${fixtures}passport-sdk-entry.mjs`],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    inject: [`${fixtures}buffer-global.mjs`],
    define: { global: 'globalThis', 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.text;
}

interface SdkOutcome {
  accountId: string;
  identifierHash: string;
  address: string;
  headerNames: string[];
}

describeInBrowser('@0xpass/passport SDK in Chromium', () => {
  let harness: Harness;
  let page: Page;
  let app: { server: Server; origin: string };

  beforeAll(async () => {
    let bundle: string;
    [harness, bundle] = await Promise.all([startGateway('embedded', { DEMO: 'off' }), bundleSdk()]);
    app = await serveApp(bundle);
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    await new Promise((resolve) => app?.server.close(resolve));
  });

  beforeEach(async () => {
    page = await browser!.newPage();
  });
  afterEach(async () => {
    await page.close();
  });

  it.each([
    ['a platform passkey', 'ctap2-internal', 'required'],
    ['a U2F security key', 'u2f-usb', 'preferred'],
  ] as const)('should register() and authenticate() with %s', async (_label, kind, userVerification) => {
    const scope = await harness.createScope({ origins: [app.origin], user_verification: userVerification });
    const authenticators = await VirtualAuthenticators.attach(page);
    const authenticator = await authenticators.add(kind);
    await page.goto(`${app.origin}/app`);

    const username = `sdk-${randomUUID().slice(0, 8)}`;
    const outcome = await page.evaluate(
      (args) => (globalThis as unknown as { registerAndAuthenticate(a: typeof args): Promise<SdkOutcome> }).registerAndAuthenticate(args),
      { url: harness.url, scopeId: scope.scope_id, publicKey: harness.publicKey, username },
    );

    expect(outcome.accountId).toMatch(/^[0-9a-f-]{36}$/);
    expect(outcome.identifierHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(outcome.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(outcome.headerNames).toContain('x-encrypted-session');
    expect(await authenticators.credentialCount(authenticator)).toBe(1);
    const account = await harness.gateway.stores.accounts.findAccountByUsername(scope.scope_id, username);
    expect(account?.account_id).toBe(outcome.accountId);
  });

  it('should signMessage() after authenticate(), a signature that recovers to the session\'s address', async () => {
    const scope = await harness.createScope({ origins: [app.origin], wallet: 'on' });
    const authenticators = await VirtualAuthenticators.attach(page);
    await authenticators.add('ctap2-internal');
    await page.goto(`${app.origin}/app`);

    const message = `Sign in to the app at ${app.origin}`;
    const username = `sdk-sign-${randomUUID().slice(0, 8)}`;
    const outcome = await page.evaluate(
      (args) =>
        (globalThis as unknown as { registerAuthenticateAndSign(a: typeof args): Promise<{ address: string; signature: Hex; error: string | null; accounts: string[] }> })
          .registerAuthenticateAndSign(args),
      { url: harness.url, scopeId: scope.scope_id, publicKey: harness.publicKey, username, message },
    );

    expect(outcome.error).toBeNull();
    expect(outcome.accounts).toEqual([outcome.address]);
    expect((await recoverMessageAddress({ message, signature: outcome.signature })).toLowerCase()).toBe(outcome.address);
    const account = await harness.gateway.stores.accounts.findAccountByUsername(scope.scope_id, username);
    expect(account?.address).toBe(outcome.address);
  });
});
