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

  async signOut(): Promise<void> {
    await this.page.getByRole('button', { name: 'Sign out' }).click();
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
