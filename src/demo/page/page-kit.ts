/**
 * What the gateway's browser pages share (the demo, the demo of an app with its own users, the
 * operator console): finding their elements, the status line, form fields, the error box, and
 * running one user action at a time.
 */
import { describeError, isGatewayClientError } from '../../client/index.js';

/** The page's element with this id; a page missing one is a bug, not a state to handle. */
export const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} missing from the page`);
  return element as T;
};

export function setStatus(text: string): void {
  $('status').textContent = text;
}

/** A form field as typed (a password keeps its spaces). */
export function formField(form: HTMLFormElement, name: string): string {
  const value = new FormData(form).get(name);
  return typeof value === 'string' ? value : '';
}

/** A form field without surrounding spaces (names, usernames, ids). */
export function formValue(form: HTMLFormElement, name: string): string {
  return formField(form, name).trim();
}

/**
 * Runs one user action: the error box and status line cleared, every button disabled meanwhile,
 * a failure handed to `onError`, and `after` run whatever happened.
 */
export async function runAction(work: () => Promise<void>, handlers: { onError: (error: unknown) => void; after?: () => void }): Promise<void> {
  $('error').hidden = true;
  setStatus('');
  const buttons = Array.from(document.querySelectorAll('button'));
  buttons.forEach((button) => (button.disabled = true));
  try {
    await work();
  } catch (error) {
    handlers.onError(error);
  } finally {
    buttons.forEach((button) => (button.disabled = false));
    handlers.after?.();
  }
}

/**
 * Shows a failure in the page's error box: `text` (by default the client's description of it) and,
 * in data-reason (what the browser tests read), `reason` or the gateway's reason ('unknown' for
 * anything else, which also goes to the console).
 */
export function showError(error: unknown, shown: { text?: string; reason?: string } = {}): void {
  const box = $('error');
  box.textContent = shown.text ?? describeError(error);
  box.dataset.reason = shown.reason ?? (isGatewayClientError(error) ? String(error.reason) : 'unknown');
  box.hidden = false;
  if (shown.reason === undefined && !isGatewayClientError(error)) console.error(error);
}

/**
 * runAction for a page with a session: a failure shown in the error box (`text` may word it), the
 * status line cleared, and `signedOut` run once the client's session has ended.
 */
export function runSessionAction(
  work: () => Promise<void>,
  page: { client: { readonly signedIn: boolean }; signedOut: () => void; text?: (error: unknown) => string | undefined },
): Promise<void> {
  return runAction(work, {
    onError(error) {
      setStatus('');
      showError(error, { text: page.text?.(error) });
    },
    after: () => {
      if (!page.client.signedIn) page.signedOut();
    },
  });
}
