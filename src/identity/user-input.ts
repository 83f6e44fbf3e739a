import { z } from 'zod';
import { limits } from '../domain/limits.js';
import { tokenSchema } from '../tokens/token-secret.js';

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

/** A passkey's name, as a person sets it (renameCredential) or registration gives it (device_name): 1–100 characters. */
export const credentialName = z
  .string()
  .max(limits.credentialNameChars * 4)
  .transform(normalizeText)
  .pipe(z.string().min(1).max(limits.credentialNameChars))
  .refine((value) => !/\p{Cc}/u.test(value), 'name must not contain control characters');

const registrationFields = z.object({
  username,
  userDisplayName: displayName.optional().nullable(),
  device_name: credentialName.optional().describe("the new passkey's name (seed 001's device_name); absent: its provider's"),
});

/**
 * The plaintext of `encrypted_user` for registration: `{username, userDisplayName, device_name?}`,
 * or `{registration_token, device_name?}` for an app's user (createRegistrationToken), where the
 * token alone decides whose passkey it is and any username given is ignored (the SDK's register()
 * always sends one).
 */
export const registrationUserSchema = z
  .object({
    registration_token: tokenSchema('registration').optional(),
    username: z.unknown().optional(),
    userDisplayName: z.unknown().optional(),
    device_name: z.unknown().optional(),
  })
  .transform((input, ctx) => {
    const fields = input.registration_token === undefined ? registrationFields : registrationFields.extend({ username: z.unknown().optional() });
    const parsed = fields.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      return z.NEVER;
    }
    const name = typeof parsed.data.username === 'string' ? parsed.data.username : '';
    return {
      username: name,
      usernameKey: usernameKey(name),
      displayName: parsed.data.userDisplayName ? parsed.data.userDisplayName : name,
      registrationToken: input.registration_token ?? null,
      deviceName: parsed.data.device_name ?? null,
    };
  });

export type RegistrationUser = z.output<typeof registrationUserSchema>;

/**
 * The plaintext of `encrypted_user` for sign-in: an empty or absent username means a
 * usernameless (discoverable credential) sign-in, so `usernameKey` is null.
 */
export const authenticationUserSchema = z
  .union([
    z.null(),
    z.object({
      username: z.string().max(USERNAME_MAX * 4).nullish(),
      userDisplayName: z.unknown().optional(),
      sign_in_token: tokenSchema('sign_in').optional().describe('a createSignInToken token: a second-factor sign-in offering only that user\'s passkeys'),
    }),
  ])
  .transform((user, ctx) => {
    const signInToken = user?.sign_in_token ?? null;
    // With a sign-in token the token names the user; a username given beside it is ignored.
    if (signInToken !== null) return { usernameKey: null, signInToken };
    const name = normalizeText(user?.username ?? '');
    if (name === '') return { usernameKey: null, signInToken };
    if (name.length > USERNAME_MAX || /\p{Cc}/u.test(name)) {
      ctx.addIssue({ code: 'custom', message: 'username must be at most 256 characters without control characters' });
      return z.NEVER;
    }
    return { usernameKey: usernameKey(name), signInToken };
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

/** An app's own id of its user: opaque to the gateway, 1–128 printable characters, unique per scope. */
export const userIdSchema = z
  .string()
  .min(1)
  .max(128)
  .refine((value) => !/[\p{Cc}\s]/u.test(value), 'user_id must hold no spaces or control characters')
  .describe("the app's own id of the user (opaque, 1–128 characters, no spaces or control characters)");
