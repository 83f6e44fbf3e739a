/**
 * What the gateway's browser pages share (the demo, the demo of an app with its own users, the
 * operator console): finding their elements, the status line, form fields, and running one user
 * action at a time. Each page keeps its own way of showing an error.
 */

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
