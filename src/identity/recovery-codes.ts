import { createHmac } from 'node:crypto';
import { systemRandom, type RandomSource } from '../keys/random-pool.js';
import { z } from 'zod';

/** Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_CHARS = 10;
export const RECOVERY_CODE_COUNT = 10;

/**
 * Ten fresh codes, each 50 random bits, shown as `XXXXX-XXXXX`: one random draw for all of them,
 * each character the low five bits of a byte (32 letters, 256 byte values: no bias).
 */
export function newRecoveryCodes(random: RandomSource = systemRandom): string[] {
  const bytes = random.take(RECOVERY_CODE_COUNT * CODE_CHARS);
  return Array.from({ length: RECOVERY_CODE_COUNT }, (_, code) => {
    let chars = '';
    for (let i = 0; i < CODE_CHARS; i += 1) chars += ALPHABET[bytes[code * CODE_CHARS + i]! & 31];
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** A code as a person types it: case, spaces and hyphens do not matter, nor O for 0 or I and L for 1. */
export const recoveryCodeSchema = z
  .string()
  .max(64)
  .transform((value) => value.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1'))
  .pipe(z.string().regex(new RegExp(`^[${ALPHABET}]{${CODE_CHARS}}$`), 'a recovery code is 10 letters and digits'));

/**
 * The stored form: HMAC-SHA256 under a key derived from the deployment secret, over the account id
 * and the normalized code, so a copy of the database cannot be searched for codes offline and the
 * same code on two accounts hashes apart.
 */
export function recoveryCodeHash(secret: Buffer, accountId: string, normalizedCode: string): string {
  return recoveryCodeHashes(secret, accountId, [normalizedCode])[0]!;
}

/** recoveryCodeHash of each of one account's normalized codes, deriving the key once. */
export function recoveryCodeHashes(secret: Buffer, accountId: string, normalizedCodes: readonly string[]): string[] {
  const key = createHmac('sha256', secret).update('recovery-code').digest();
  return normalizedCodes.map((code) => createHmac('sha256', key).update(`${accountId}:${code}`, 'utf8').digest('base64url'));
}

/** The normalized form of a code newRecoveryCodes made (what recoveryCodeSchema makes of it). */
export function newCodeNormalized(code: string): string {
  return code.replace('-', '');
}

/** An account's new set of codes, to show once, and their stored forms (recoveryCodeHash of each). */
export function newRecoveryCodeSet(secret: Buffer, accountId: string, random: RandomSource = systemRandom): { codes: string[]; hashes: string[] } {
  const codes = newRecoveryCodes(random);
  return { codes, hashes: recoveryCodeHashes(secret, accountId, codes.map(newCodeNormalized)) };
}
