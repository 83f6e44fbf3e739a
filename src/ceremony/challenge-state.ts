import { randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';
import { accountSchema } from '../domain/account.js';
import type { ChallengeStore } from '../stores/challenge-store.js';

/** A challenge id as clients send it back: only ever a UUID the gateway made, anything else is invalid_params. */
export const challengeIdSchema = z.uuid().describe('the challenge_id the initiate call answered');

/** What both ceremonies keep: where the challenge belongs, and to which client. */
const ceremonyBase = {
  scope_id: z.string(),
  challenge: z.string(),
  /** The client key's thumbprint (see ClientKey.thumbprint). */
  key_thumbprint: z.string(),
};

const registrationStateSchema = z.object({
  kind: z.literal('registration'),
  ...ceremonyBase,
  /** The normalised username the passkey is registered for. */
  username_key: z.string(),
  display_name: z.string(),
  /** base64url of the WebAuthn user handle the options carried. */
  user_handle: z.string(),
  /** Set when a signed-in account adds a passkey; null for a new account. */
  account_id: z.string().nullable(),
});

const authenticationStateSchema = z.object({
  kind: z.literal('authentication'),
  ...ceremonyBase,
  /** The normalised username the sign-in named; null for a usernameless sign-in. */
  username_key: z.string().nullable(),
  /**
   * Sign-in named a user: that account (null when there is none) and its passkeys as initiation
   * read them, so completion verifies without reading them again. The write that records the
   * sign-in re-checks, atomically, that the passkey still exists and the account is enabled.
   */
  named_signer: z
    .object({
      account: accountSchema.nullable(),
      credentials: z.array(
        z.object({
          credential_id: z.string(),
          public_key: z.string(),
          // As stored when initiation read them: the counter the sign-in is recorded against, and
          // the backup flags a change is told from.
          counter: z.number(),
          device_type: z.enum(['singleDevice', 'multiDevice']),
          backed_up: z.boolean(),
        }),
      ),
    })
    .nullable(),
});

const challengeStateSchema = z.discriminatedUnion('kind', [registrationStateSchema, authenticationStateSchema]);

export type ChallengeState = z.infer<typeof challengeStateSchema>;
export type RegistrationState = z.infer<typeof registrationStateSchema>;
export type AuthenticationState = z.infer<typeof authenticationStateSchema>;
export type NamedSigner = NonNullable<AuthenticationState['named_signer']>;

/**
 * Stores ceremony state under a fresh random id, expiring with the scope's timeout. `owner` is the
 * client address, so a bounded store can evict per client.
 */
export async function saveChallenge(store: ChallengeStore, state: ChallengeState, ttlMs: number, owner: string | undefined): Promise<string> {
  const id = randomUUID();
  await store.put(id, JSON.stringify(state), ttlMs, owner);
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
  // State written by another version of the gateway (a rolling upgrade) is unusable, not an error of ours.
  const parsed = challengeStateSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new GatewayError('challenge_not_found', 'challenge state unreadable');
  const state = parsed.data;
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
