import { hashMessage } from 'ethers/hash';
import { z } from 'zod';
import { limits } from '../domain/limits.js';

/**
 * personal_sign's message: a 0x-prefixed string of hex digit pairs is signed as those bytes (as
 * MetaMask and Ethereum JSON-RPC's DATA take it); any other string as its UTF-8 bytes.
 */
export const personalMessageSchema = z
  .string()
  .max(2 + limits.messageBytes * 2)
  .transform((message, ctx) => {
    const bytes = /^0x(?:[0-9a-fA-F]{2})*$/.test(message) ? Buffer.from(message.slice(2), 'hex') : Buffer.from(message, 'utf8');
    if (bytes.length > limits.messageBytes) {
      ctx.addIssue({ code: 'custom', message: `the message may hold at most ${limits.messageBytes} bytes` });
      return z.NEVER;
    }
    return new Uint8Array(bytes);
  });

/** The EIP-191 (version 0x45) digest of a message: keccak-256 of "\x19Ethereum Signed Message:\n" ‖ length ‖ bytes. */
export function personalMessageDigest(message: Uint8Array): string {
  return hashMessage(message);
}
