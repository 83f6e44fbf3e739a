/** The demo page as a person sees it: actions by accessible name, outcomes by visible state. */
import { expect } from '@jest/globals';
import type { Page } from 'playwright-core';

const STEP_TIMEOUT = 10_000;

/** What `settled` reads of the page's DOM. */
interface PageDocument {
  querySelector(selector: string): unknown;
  body: { dataset: Record<string, string | undefined> };
}

export class DemoPage {
  constructor(readonly page: Page) {}

  /** Opens the demo; conditional UI (autofill) stays off unless asked for, see src/demo/page/demo.ts. */
  async open(baseUrl: string, scopeId: string, { autofill = false } = {}): Promise<void> {
    await this.page.goto(`${baseUrl}/demo?scope=${scopeId}${autofill ? '' : '&autofill=off'}`);
    // With autofill a virtual authenticator may sign in at once, so the page can skip past
    // 'signed-out' before we look: wait for the page to have started, whatever its state.
    await this.page.waitForSelector(autofill ? 'body[data-state]' : 'body[data-state="signed-out"]', { timeout: STEP_TIMEOUT });
  }

  /** Reloads the page and waits until it has shown what the client restored (the account, or the sign-in forms). */
  async reload(): Promise<void> {
    await this.page.reload();
    await this.page.waitForSelector('body[data-state]', { timeout: STEP_TIMEOUT });
    await this.settled();
  }

  async state(): Promise<string | null> {
    return this.page.locator('body').getAttribute('data-state');
  }

  async waitForState(state: 'signed-in' | 'signed-out'): Promise<void> {
    await this.page.waitForSelector(`body[data-state="${state}"]`, { timeout: STEP_TIMEOUT });
  }

  /** Waits until the action that was just started has finished (buttons enabled again). */
  async settled(): Promise<void> {
    await this.page.waitForFunction(
      () => {
        // Runs in the page; typed by hand because tests compile without the DOM library (and the
        // page's CSP forbids the string form, which Playwright would evaluate).
        const { document } = globalThis as unknown as { document: PageDocument };
        return document.querySelector('button:disabled') === null && document.body.dataset.state !== undefined;
      },
      undefined,
      { timeout: STEP_TIMEOUT },
    );
  }

  async register(username: string, displayName?: string): Promise<void> {
    await this.page.getByLabel('Username', { exact: true }).fill(username);
    if (displayName !== undefined) await this.page.getByLabel('Display name').fill(displayName);
    await this.page.getByRole('button', { name: 'Register with a passkey' }).click();
    await this.settled();
  }

  async signIn(username?: string): Promise<void> {
    if (username === undefined) {
      await this.page.getByRole('button', { name: 'Sign in without a username' }).click();
    } else {
      await this.page.getByLabel('Username (optional)').fill(username);
      await this.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    }
    await this.settled();
  }

  async signOut({ everywhere = false } = {}): Promise<void> {
    await this.page.getByRole('button', { name: everywhere ? 'Sign out everywhere' : 'Sign out', exact: true }).click();
    await this.waitForState('signed-out');
    await this.settled();
  }

  async addPasskey(): Promise<void> {
    await this.page.getByRole('button', { name: 'Add a passkey' }).click();
    await this.settled();
  }

  async renamePasskey(index: number, name: string): Promise<void> {
    const item = this.page.locator('#passkeys li').nth(index);
    await item.locator('input').fill(name);
    await item.getByRole('button', { name: /^Rename / }).click();
    await this.settled();
  }

  async deletePasskey(index: number): Promise<void> {
    await this.page.locator('#passkeys li').nth(index).getByRole('button', { name: /^Delete / }).click();
    await this.settled();
  }

  async passkeyIds(): Promise<string[]> {
    const items = await this.page.locator('#passkeys li').all();
    return Promise.all(items.map(async (item) => (await item.getAttribute('data-credential-id')) ?? ''));
  }

  /**
   * What the client keeps in IndexedDB, as any script of the page can see it: each record's fields,
   * what its AES key is, and whether the key's bytes can be exported.
   */
  async storedClientState(): Promise<Array<{ fields: string[]; key: string; algorithm: string; extractable: boolean; exported: string }>> {
    return this.page.evaluate(async () => {
      // Runs in the page; typed by hand (see settled()).
      interface Request<T> { result: T; onsuccess: (() => void) | null; onerror: (() => void) | null }
      interface Key { extractable: boolean; algorithm: { name: string } }
      interface Database { objectStoreNames: { contains(name: string): boolean }; transaction(store: string): { objectStore(name: string): { getAll(): Request<Array<Record<string, unknown>>> } }; close(): void }
      const page = globalThis as unknown as { indexedDB: { open(name: string): Request<Database> }; crypto: { subtle: { exportKey(format: string, key: unknown): Promise<unknown> } } };
      const done = <T>(request: Request<T>) => new Promise<T>((resolve, reject) => ((request.onsuccess = () => resolve(request.result)), (request.onerror = () => reject(new Error('IndexedDB request failed')))));
      const database = await done(page.indexedDB.open('passkey-gateway-client'));
      try {
        if (!database.objectStoreNames.contains('client-state')) return [];
        const records = await done(database.transaction('client-state').objectStore('client-state').getAll());
        return Promise.all(
          records.map(async (record) => {
            const key = record.aesKey as Key;
            const exported = await page.crypto.subtle.exportKey('raw', key).then(
              () => 'exported',
              (error: { name?: string }) => `refused: ${error.name}`,
            );
            return { fields: Object.keys(record).sort(), key: Object.prototype.toString.call(key), algorithm: key.algorithm.name, extractable: key.extractable, exported };
          }),
        );
      } finally {
        database.close();
      }
    });
  }

  async passkeyNames(): Promise<string[]> {
    return this.page.locator('#passkeys li strong').allTextContents();
  }

  async account(): Promise<{ username: string; accountId: string; identifierHash: string; address: string }> {
    const text = (id: string) => this.page.locator(`#${id}`).innerText();
    return { username: await text('account-username'), accountId: await text('account-id'), identifierHash: await text('account-identifier-hash'), address: await text('account-address') };
  }

  /** The visible error message and its reason, or null when none is shown. */
  async error(): Promise<{ message: string; reason: string | undefined } | null> {
    const box = this.page.locator('#error');
    if (!(await box.isVisible())) return null;
    return { message: await box.innerText(), reason: (await box.getAttribute('data-reason')) ?? undefined };
  }

  async expectNoError(): Promise<void> {
    expect(await this.error()).toBeNull();
  }

  async status(): Promise<string> {
    return this.page.locator('#status').innerText();
  }
}
