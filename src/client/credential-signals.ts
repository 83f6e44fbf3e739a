/**
 * The WebAuthn Signal API (PublicKeyCredential.signal*): telling the browser's passkey provider
 * what the gateway knows, so its passkey list matches the account. Feature-detected, one method at
 * a time: browsers without it work as before, and a signal that fails changes nothing the app does.
 */
interface SignalApi {
  signalAllAcceptedCredentials?(options: { rpId: string; userId: string; allAcceptedCredentialIds: string[] }): Promise<void>;
  signalCurrentUserDetails?(options: { rpId: string; userId: string; name: string; displayName: string }): Promise<void>;
  signalUnknownCredential?(options: { rpId: string; credentialId: string }): Promise<void>;
}

/** What the signals name: the account as getAccount answers it. */
export interface SignalledAccount {
  rp_id: string;
  user_handle: string;
  username: string;
  display_name: string;
}

function signalApi(): SignalApi | undefined {
  return (globalThis as { PublicKeyCredential?: SignalApi }).PublicKeyCredential;
}

/** Whether the browser has any signal worth fetching the account for. */
export function accountSignalsSupported(): boolean {
  const api = signalApi();
  return typeof api?.signalAllAcceptedCredentials === 'function' || typeof api?.signalCurrentUserDetails === 'function';
}

/** The account's passkeys and names as they are now; providers hide or drop the passkeys not listed. */
export async function signalAccount(account: SignalledAccount, acceptedCredentialIds: string[]): Promise<void> {
  const api = signalApi();
  const userId = account.user_handle;
  await Promise.allSettled([
    api?.signalAllAcceptedCredentials?.({ rpId: account.rp_id, userId, allAcceptedCredentialIds: acceptedCredentialIds }),
    api?.signalCurrentUserDetails?.({ rpId: account.rp_id, userId, name: account.username, displayName: account.display_name }),
  ]);
}

/** A passkey no account holds (the gateway said `unknown_credential`): the provider may remove it. */
export async function signalUnknownCredential(rpId: string, credentialId: string): Promise<void> {
  await Promise.allSettled([signalApi()?.signalUnknownCredential?.({ rpId, credentialId })]);
}
