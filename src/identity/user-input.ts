import { z } from 'zod';
import { limits } from '../domain/limits.js';

const USERNAME_MAX = limits.usernameChars;
const DISPLAY_NAME_MAX = limits.displayNameChars;

/** NFKC then trim, so visually identical usernames are one username. */
function normalizeText(value: string): string {
  return value.normalize('NFKC').trim();
}

/** The key a username is stored and compared under: case-insensitive. */
export function usernameKey(username: string): string {
  return normalizeText(username).toLowerCase();
}

const username = z
  .string()
  .max(USERNAME_MAX * 4)
  .transform(normalizeText)
  .pipe(z.string().min(1, 'username is required').max(USERNAME_MAX))
  // Control characters never belong in a name a person types.
  .refine((value) => !/\p{Cc}/u.test(value), 'username must not contain control characters');

/**
 * A username (or the start of one) an operator or app looks an account up by, before
 * normalization: stored usernames never hold control characters, and PostgreSQL text cannot even
 * bind NUL, so such input is invalid_params rather than a failed query.
 */
export const usernameLookupSchema = z
  .string()
  .min(1)
  .max(USERNAME_MAX * 4)
  .refine((value) => !/\p{Cc}/u.test(value), 'username must not contain control characters');

/** Whether a text could be a stored (normalized) username. */
export function isUsernameKey(value: string): boolean {
  return value !== '' && !/\p{Cc}/u.test(value) && usernameKey(value) === value;
}

const displayName = z
  .string()
  .max(DISPLAY_NAME_MAX * 4)
  .transform(normalizeText)
  .pipe(z.string().max(DISPLAY_NAME_MAX))
  .refine((value) => !/\p{Cc}/u.test(value), 'display name must not contain control characters');

/** A display name a signed-in person sets: 1–256 characters after NFKC and trimming. */
export const newDisplayNameSchema = displayName.pipe(z.string().min(1, 'display name is required'));

/** The plaintext of `encrypted_user` for registration: `{username, userDisplayName}`. */
export const registrationUserSchema = z
  .object({ username, userDisplayName: displayName.optional().nullable() })
  .transform(({ username: name, userDisplayName }) => ({
    username: name,
    usernameKey: usernameKey(name),
    displayName: userDisplayName ? userDisplayName : name,
  }));

export type RegistrationUser = z.output<typeof registrationUserSchema>;

/**
 * The plaintext of `encrypted_user` for sign-in: an empty or absent username means a
 * usernameless (discoverable credential) sign-in, so `usernameKey` is null.
 */
export const authenticationUserSchema = z
  .union([z.null(), z.object({ username: z.string().max(USERNAME_MAX * 4).nullish(), userDisplayName: z.unknown().optional() })])
  .transform((user, ctx) => {
    const name = normalizeText(user?.username ?? '');
    if (name === '') return { usernameKey: null };
    if (name.length > USERNAME_MAX || /\p{Cc}/u.test(name)) {
      ctx.addIssue({ code: 'custom', message: 'username must be at most 256 characters without control characters' });
      return z.NEVER;
    }
    return { usernameKey: usernameKey(name) };
  });

export type AuthenticationUser = z.output<typeof authenticationUserSchema>;

/**
 * The plaintext of a user a delegate key signs (delegatedRegistration's `encrypted_user`, and
 * X-Encrypted-User on calls made with X-Encrypted-Key-Signature): registration's fields plus
 * `issued_at`, when the app signed it (milliseconds since the epoch, as Date.now() gives), which
 * the gateway checks so a signature cannot be replayed later.
 */
export const delegatedUserSchema = z
  .object({
    username,
    userDisplayName: displayName.optional().nullable(),
    issued_at: z.number().int().min(0).max(8_640_000_000_000_000).describe('milliseconds since the epoch (Date.now()) when the app signed the user'),
  })
  .transform(({ username: name, userDisplayName, issued_at }) => ({
    username: name,
    usernameKey: usernameKey(name),
    displayName: userDisplayName ? userDisplayName : name,
    issuedAt: issued_at,
  }));

export type DelegatedUser = z.output<typeof delegatedUserSchema>;
