import { createHmac } from 'node:crypto';

const TRANSPORT_CHOICES: string[][] = [['internal'], ['hybrid', 'internal'], ['usb'], ['internal']];

/**
 * Stand-in credentials for a username without an account, so that initiateAuthentication answers
 * an unknown user exactly as it answers a known one: deterministic (same answer every time), not
 * computable without the deployment secret, shaped like a real passkey.
 */
export function decoyCredentials(secret: Buffer, scopeId: string, usernameKey: string): { id: string; transports: string[] }[] {
  const digest = createHmac('sha256', secret).update(`decoy-credential\0${scopeId}\0${usernameKey}`, 'utf8').digest();
  return [{ id: digest.toString('base64url'), transports: TRANSPORT_CHOICES[digest[0]! % TRANSPORT_CHOICES.length]! }];
}
