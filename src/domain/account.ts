import { z } from 'zod';

/**
 * An account as stored, and as ceremony state carries it from initiation to completion: one
 * definition for the schema and the type, so the two cannot drift.
 */
export const accountSchema = z.object({
  account_id: z.string(),
  scope_id: z.string(),
  /** Normalized (NFKC, trimmed, lower-cased) username: the uniqueness key within a scope. */
  username: z.string(),
  display_name: z.string(),
  /** base64url of the random WebAuthn user handle bytes. */
  user_handle: z.string(),
  identifier_hash: z.string(),
  /** Compressed secp256k1 public key of the account key, 66 hex characters, no 0x. */
  public_key: z.string(),
  /** Ethereum address of that key: 0x + 40 lower-case hex characters. */
  address: z.string(),
  disabled: z.boolean(),
  created_at: z.string(),
  /** The app's own id of the user (see createRegistrationToken), unique per scope; null for accounts named by username alone. */
  user_id: z.string().nullable().default(null),
  /** Enrolled by an app as a second factor (createRegistrationToken purpose "second_factor"): it signs in only as one. */
  second_factor_only: z.boolean().default(false),
});

export type Account = z.infer<typeof accountSchema>;
/** What a caller gives to create an account: columns with a default may be left out. */
export type NewAccount = z.input<typeof accountSchema>;

export interface Credential {
  credential_id: string;
  account_id: string;
  scope_id: string;
  /** base64url of the COSE public key. */
  public_key: string;
  algorithm: number;
  counter: number;
  transports: string[];
  aaguid: string;
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
  created_at: string;
  last_used_at: string | null;
  /** A user-chosen label (≤ 100 characters); null until set, when clients show the provider name. */
  name: string | null;
  /** Set when a sign-in showed a signature counter that did not grow: the key may be cloned. */
  possibly_cloned: boolean;
  /** The client's credProps.rk at registration: whether the passkey is discoverable; null when not reported. */
  discoverable: boolean | null;
  /** The client's authenticatorAttachment at registration; null when not reported. */
  authenticator_attachment: 'platform' | 'cross-platform' | null;
  /** Whether registration verified the attestation to a trust anchor; only then is `aaguid` more than the authenticator's claim. */
  attestation_verified: boolean;
  /** Enrolled with a second-factor registration token (purpose "second_factor"): it signs in only under a sign-in token. */
  second_factor_only: boolean;
}

/** How one passkey shows in a sign-in's allowCredentials: its id's length in bytes and its transports. */
export interface CredentialShape {
  id_length: number;
  transports: string[];
}

/** What a successful sign-in changes on the credential it used. */
export interface CredentialUse {
  counter: number;
  /** Follows the assertion's backup-eligible (BE) flag. */
  device_type: Credential['device_type'];
  /** The assertion's backed-up (BS) flag. */
  backed_up: boolean;
  last_used_at: string;
}

/** Why an insert was refused: a unique rule of the scope. */
export type AccountConflict = 'account_exists' | 'credential_exists';

/**
 * What a passkey registration uses up in the same transaction: its one-time token (refused as
 * `token_invalid` when it was used, or expired, meanwhile), and the keyed hashes of the account's
 * first recovery codes.
 */
export interface RegistrationExtras {
  token?: { token_hash: string; now: string };
  recoveryCodeHashes?: readonly string[];
  /** The operator invite a new operator's account uses up (refused as `invite_invalid` when used or expired meanwhile). */
  invite?: { invite_hash: string; now: string };
}

export type CreateAccountResult = { ok: true; account: Account; credential: Credential } | { ok: false; conflict: AccountConflict | 'token_invalid' | 'invite_invalid' };

export type AddCredentialResult =
  | { ok: true; credential: Credential }
  | { ok: false; conflict: 'credential_exists' | 'account_not_found' | 'too_many_credentials' | 'token_invalid' };

export type DeleteCredentialResult = 'deleted' | 'not_found' | 'last_credential';

/** What recording a verified sign-in found (see AccountStore.recordSignIn). */
export type SignInRecord = 'recorded' | 'not_found' | 'account_disabled' | 'counter_regression';
