import type { SignInRecord } from '../domain/account.js';

/**
 * Whether a sign-in's new counter shows the key may be cloned (WebAuthn L3 §7.2, signCount step):
 * either counter is non-zero and the new one is not greater. A counter of 0 forever (synced
 * passkeys) is fine; a drop to 0 from a non-zero counter is not.
 */
export function counterRegressed(stored: number, received: number): boolean {
  return (stored > 0 || received > 0) && received <= stored;
}

/**
 * Why a verified sign-in was not recorded, from the credential's current row (undefined when the
 * account no longer holds it). A row that would now pass changed between write and read: gone.
 */
export function signInRefusal(current: { counter: number; disabled: boolean } | undefined, received: number): SignInRecord {
  if (current === undefined) return 'not_found';
  if (current.disabled) return 'account_disabled';
  return counterRegressed(current.counter, received) ? 'counter_regression' : 'not_found';
}
