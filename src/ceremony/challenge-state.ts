import { randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';
import type { Account, Credential } from '../domain/account.js';
import type { ChallengeStore } from '../stores/challenge-store.js';

/** A WebAuthn challenge's random bytes (what @simplewebauthn/server draws when given none). */
export const CHALLENGE_BYTES = 32;

/** A challenge id as clients send it back: only ever a UUID the gateway made, anything else is invalid_params. */
export const challengeIdSchema = z.uuid().describe('the challenge_id the initiate call answered');

/** What both ceremonies keep: where the challenge belongs, and to which client. */
interface CeremonyBase {
  scope_id: string;
  challenge: string;
  /** The client key's thumbprint (see ClientKey.thumbprint). */
  key_thumbprint: string;
}

export interface RegistrationState extends CeremonyBase {
  kind: 'registration';
  /** The normalised username the passkey is registered for. */
  username_key: string;
  display_name: string;
  /** base64url of the WebAuthn user handle the options carried. */
  user_handle: string;
  /** Set when a signed-in account adds a passkey; null for a new account. */
  account_id: string | null;
  /**
   * An automatic passkey upgrade (conditional create), decided by the gateway at initiation for a
   * signed-in account: only this challenge's response may lack user presence and verification.
   * Completion reads it from here alone; nothing the client sends then can turn it on.
   */
  automatic: boolean;
  /**
   * A registration a token started (createRegistrationToken, createRecoveryToken): the token's keyed
   * hash, which completion uses up with the passkey; null otherwise.
   */
  token_hash: string | null;
  /** The app's user id a new account takes (token registrations); null otherwise. */
  user_id: string | null;
  /** The new passkey's name (device_name); null: its provider's. */
  device_name: string | null;
  /** A new account an app enrols as a second factor (its token's purpose). */
  second_factor_only: boolean;
  /**
   * The hash of the invite a new operator registers with (the operators' scope only), checked at
   * initiation and used up with the account's creation; null (or absent, in older state) otherwise.
   */
  invite_hash?: string | null;
}

export interface AuthenticationState extends CeremonyBase {
  kind: 'authentication';
  /** The normalised username the sign-in named; null for a usernameless sign-in. */
  username_key: string | null;
  /**
   * Sign-in named a user: that account (null when there is none) and its passkeys as initiation
   * read them, so completion verifies without reading them again. The write that records the
   * sign-in re-checks, atomically, that the passkey still exists and the account is enabled.
   */
  named_signer: NamedSigner | null;
  /** A second-factor sign-in (createSignInToken): the token's keyed hash, used up at completion; null otherwise. */
  sign_in_token_hash: string | null;
}

export interface NamedSigner {
  account: Account | null;
  /** As stored when initiation read them: the counter the sign-in is recorded against, and the backup flags a change is told from. */
  credentials: Array<Pick<Credential, 'credential_id' | 'public_key' | 'counter' | 'device_type' | 'backed_up' | 'second_factor_only'>>;
}

export type ChallengeState = RegistrationState | AuthenticationState;

/**
 * The layout of stored state. It is the gateway's own data, written by itself into its own store,
 * so it is read back without validating every field; state of another layout (a rolling upgrade
 * to a gateway that changed it) is unusable and counts as no challenge.
 */
const STATE_FORMAT = 5;

/**
 * Stores ceremony state under a fresh random id, expiring with the scope's timeout. `owner` is the
 * client address, so a bounded store can evict per client.
 */
export async function saveChallenge(store: ChallengeStore, state: ChallengeState, ttlMs: number, owner: string | undefined): Promise<string> {
  const id = randomUUID();
  await store.put(id, JSON.stringify({ format: STATE_FORMAT, ...state }), ttlMs, owner);
  return id;
}

/**
 * Consumes the state (so a failed attempt uses it up too) and checks it belongs to this call:
 * same ceremony kind, same scope, same client key.
 */
export async function takeChallenge<K extends ChallengeState['kind']>(
  store: ChallengeStore,
  id: string,
  expected: { kind: K; scopeId: string; keyThumbprint: string },
): Promise<Extract<ChallengeState, { kind: K }>> {
  const raw = await store.consume(id);
  if (raw === null) throw new GatewayError('challenge_not_found');
  const state = JSON.parse(raw) as ChallengeState & { format?: unknown };
  if (state.format !== STATE_FORMAT) throw new GatewayError('challenge_not_found', 'challenge state of another layout');
  if (state.kind !== expected.kind || state.scope_id !== expected.scopeId || !sameText(state.key_thumbprint, expected.keyThumbprint)) {
    throw new GatewayError('challenge_mismatch', `challenge ${id} used with another ${state.scope_id !== expected.scopeId ? 'scope' : state.kind !== expected.kind ? 'ceremony' : 'client key'}`);
  }
  return state as Extract<ChallengeState, { kind: K }>;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
