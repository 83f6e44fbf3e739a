/**
 * Debian's Chromium driven by playwright-core, one browser per test file. When it cannot start,
 * the browser suites skip with a loud notice, except with CI=true, where that fails the run.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts');

// playwright-core adds --headless and gives every launch a fresh temporary --user-data-dir itself.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A started browser, or null (after printing why) when suites should skip. Throws under CI=true. */
export async function launchChromiumOrSkip(suite: string): Promise<Browser | null> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS, timeout: 20_000 });
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    if (process.env.CI === 'true') throw new Error(`CI=true and Chromium (${CHROMIUM_PATH}) could not start, refusing to skip ${suite}: ${detail}`, { cause: error });
    const bar = '='.repeat(78);
    console.warn(
      [
        '',
        bar,
        `  WARNING: BROWSER TEST SUITE SKIPPED (${suite}) - Chromium could not start`,
        bar,
        `  ${CHROMIUM_PATH}: ${detail}`,
        '  Install it (Debian: apt-get install chromium) or set CHROMIUM_PATH, then re-run.',
        '  With CI=true a browser that cannot start fails the run instead of skipping.',
        bar,
        '',
      ].join('\n'),
    );
    return null;
  }
}

export type AuthenticatorKind = 'ctap2-internal' | 'u2f-usb';

const AUTHENTICATOR_OPTIONS = {
  // A platform passkey: discoverable credentials and user verification (signs with EdDSA).
  'ctap2-internal': { protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  // A security key: no discoverable credentials, no user verification (ES256; its counter may jump).
  'u2f-usb': { protocol: 'u2f', transport: 'usb', hasResidentKey: false, hasUserVerification: false },
} as const;

/** WebAuthn virtual authenticators of one page, through CDP. */
export class VirtualAuthenticators {
  private constructor(private readonly cdp: CDPSession) {}

  static async attach(page: Page): Promise<VirtualAuthenticators> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    return new VirtualAuthenticators(cdp);
  }

  async add(kind: AuthenticatorKind): Promise<string> {
    const { authenticatorId } = await this.cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { ...AUTHENTICATOR_OPTIONS[kind], automaticPresenceSimulation: true },
    });
    return authenticatorId;
  }

  async remove(authenticatorId: string): Promise<void> {
    await this.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  }

  async credentialCount(authenticatorId: string): Promise<number> {
    return (await this.credentials(authenticatorId)).length;
  }

  /** The authenticator's credentials, private keys included (what a synced passkey provider copies). */
  async credentials(authenticatorId: string): Promise<VirtualCredential[]> {
    return (await this.cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  }

  /** Puts a credential of another authenticator (possibly another page's) on this one, like a synced passkey. */
  async addCredential(authenticatorId: string, credential: VirtualCredential): Promise<void> {
    await this.cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
  }
}

/** A credential as CDP's WebAuthn domain hands it over (base64 binary fields; other fields pass through as they are). */
export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  /** PKCS#8, base64. */
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

/** Saves a full-page screenshot as test-artifacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
}
