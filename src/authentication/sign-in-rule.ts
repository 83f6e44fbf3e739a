import type { OneTimeToken } from '../domain/one-time-token.js';
import type { NewAuditEvent } from '../domain/audit-event.js';
import type { CredentialUse, SignInRecord } from '../domain/account.js';
import type { AccountStore } from '../stores/account-store.js';

/**
 * Whether a sign-in's new counter shows the key may be cloned (WebAuthn L3 §7.2, signCount step):
 * either counter is non-zero and the new one is not greater. A counter of 0 forever (synced
 * passkeys) is fine; a drop to 0 from a non-zero counter is not.
 */
export function counterRegressed(stored: number, received: number): boolean {
  return (stored > 0 || received > 0) && received <= stored;
}

/** How often a sign-in may find its passkey's counter moved by another one before it counts as a clone's. */
const ATTEMPTS = 4;

/**
 * Records a sign-in whose signature has verified, by the rule above, with the store's
 * compare-and-set write: the write happens only while the counter is still the one decided on and
 * the account is enabled, so no concurrent sign-in or admin change slips in between. From
 * `knownCounter` (what initiation read), or the stored one:
 * - 'counter_regression': the new counter does not grow past the stored one (nothing is changed);
 * - 'account_disabled' / 'not_found': the account is disabled, or no longer holds the passkey;
 * - 'recorded': counter, device type, backup state and last use stored, `audit` and `resultToken` with them.
 * Of two racing sign-ins with one counter value, only one is recorded.
 */
export async function recordSignIn(
  accounts: Pick<AccountStore, 'recordSignIn' | 'signInState'>,
  scopeId: string,
  accountId: string,
  credentialId: string,
  use: CredentialUse,
  audit: readonly NewAuditEvent[] = [],
  knownCounter?: number,
  resultToken?: OneTimeToken,
): Promise<SignInRecord> {
  let counter = knownCounter;
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    if (counter === undefined) {
      const state = await accounts.signInState(scopeId, accountId, credentialId);
      if (state === null) return 'not_found';
      if (state.disabled) return 'account_disabled';
      counter = state.counter;
    }
    // A stale counter is never higher than the stored one, so a regression against it is one.
    if (counterRegressed(counter, use.counter)) return 'counter_regression';
    if (await accounts.recordSignIn(scopeId, accountId, credentialId, use, counter, audit, resultToken)) return 'recorded';
    counter = undefined;
  }
  // The counter kept moving under this sign-in: copies of the key are signing in at once.
  return 'counter_regression';
}
