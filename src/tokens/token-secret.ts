import { createHmac } from 'node:crypto';
import { systemRandom, type RandomSource } from '../keys/random-pool.js';
import { z } from 'zod';
import type { OneTimeTokenKind } from '../domain/one-time-token.js';

/** A recognisable prefix per kind (secret scanners can find leaked ones), then 32 random bytes. */
const PREFIX: Record<OneTimeTokenKind, string> = { registration: 'pkgw_rt_', sign_in: 'pkgw_st_', sign_in_result: 'pkgw_sv_' };
const SECRET_BYTES = 32;

/** A token of `kind` as callers send it back: anything else is invalid_params before any lookup. */
export function tokenSchema(kind: OneTimeTokenKind) {
  return z.string().regex(new RegExp(`^${PREFIX[kind]}[A-Za-z0-9_-]{43}$`), `must be a ${PREFIX[kind]}… token`);
}

export function newTokenSecret(kind: OneTimeTokenKind, random: RandomSource = systemRandom): string {
  return PREFIX[kind] + random.take(SECRET_BYTES).toString('base64url');
}

/**
 * The stored form: HMAC-SHA256 under a key derived from the deployment secret, so a copy of the
 * database alone neither holds a usable token nor lets one be checked offline.
 */
export function tokenHash(secret: Buffer, token: string): string {
  const key = createHmac('sha256', secret).update('one-time-token').digest();
  return createHmac('sha256', key).update(token, 'utf8').digest('base64url');
}
