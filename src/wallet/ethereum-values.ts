import { z } from 'zod';

/** 0x and 40 hex digits, in any case (checksums are not required, and compared as the same address). */
export const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be an address: 0x and 40 hex digits');

/** The zero address, which the SDK's signMessage() sends where personal_sign takes the signer's address. */
export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** Whether two addresses are the same, whatever their case. */
export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * An unsigned integer as JSON-RPC clients send one: a JSON number (a safe integer), 0x hex (a
 * QUANTITY, up to 256 bits) or decimal digits.
 */
export const quantitySchema = z
  .union([
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    z.string().regex(/^0x[0-9a-fA-F]{1,64}$/, 'must be 0x and at most 64 hex digits'),
    z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'must be decimal digits'),
  ])
  .transform((value) => BigInt(value));

/** 0x and whole bytes of hex, at most `maxBytes`. */
export function hexBytesSchema(maxBytes: number) {
  return z
    .string()
    .max(2 + maxBytes * 2)
    .regex(/^0x(?:[0-9a-fA-F]{2})*$/, 'must be 0x and pairs of hex digits');
}

export const MAX_UINT64 = 2n ** 64n - 1n;
export const MAX_UINT256 = 2n ** 256n - 1n;
