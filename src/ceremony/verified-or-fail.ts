import { GatewayError } from '../errors/gateway-error.js';

/**
 * Runs a @simplewebauthn verification (or the assertion verifier, which answers as the library does)
 * and returns its result only when it verified. Whatever it throws or refuses becomes
 * `verification_failed`; the message (which names expected values) goes to the log only.
 */
export async function verifiedOrFail<T extends { verified: boolean }>(verify: () => Promise<T>): Promise<T & { verified: true }> {
  let result: T;
  try {
    result = await verify();
  } catch (error) {
    throw new GatewayError('verification_failed', error instanceof Error ? error.message : 'response rejected');
  }
  if (!result.verified) throw new GatewayError('verification_failed', 'response not verified');
  return result as T & { verified: true };
}
