/** What the gateway's account methods answer (README "Methods"), as the client hands them on. */
export interface Account {
  account_id: string;
  identifier_hash: string;
  /** The account's username; for an app's user registered without one, its user id. */
  username: string;
  /** The app's own user id, for accounts registered with a registration token; null otherwise. */
  user_id: string | null;
  display_name: string;
  /** The account's Ethereum address, 0x-prefixed. */
  address: string;
  created_at: string;
  /** The WebAuthn user handle (base64url) the account's passkeys carry. */
  user_handle: string;
  /** The scope's RP id. */
  rp_id: string;
}

export interface Passkey {
  credential_id: string;
  name: string | null;
  provider: string | null;
  created_at: string;
  last_used_at: string | null;
  transports: string[];
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
  aaguid: string;
  possibly_cloned: boolean;
  /** The browser's credProps.rk at registration (null: not reported). */
  discoverable: boolean | null;
  authenticator_attachment: 'platform' | 'cross-platform' | null;
  /** Whether the gateway verified the passkey's attestation: only then is `aaguid` more than a claim. */
  attestation_verified: boolean;
}

/** WebAuthn hints, most preferred first. */
export type Hint = 'security-key' | 'client-device' | 'hybrid';

export interface Registration {
  account_id: string;
  identifier_hash: string;
  /** The app's own user id, for a registration with a registration token; null otherwise. */
  user_id: string | null;
  /** On an account's first passkey, where the scope gives them: single-use codes to show once. */
  recovery_codes: RecoveryCodes | null;
}

/** Recovery codes, as the gateway seals them (seed 001's shape): the codes and how many are unused. */
export interface RecoveryCodes {
  codes: string[];
  remaining: number;
}

/** What a sign-in hands the app: the one-time token its backend exchanges with verifySignIn (null from a gateway without it). */
export interface SignInResult {
  sign_in_token: string | null;
}

/** After recoverAccount: the account, now with a new passkey, and the unused codes it still holds. */
export interface Recovery {
  account_id: string;
  remaining: number;
}
