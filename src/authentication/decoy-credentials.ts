import { createHmac, generateKeyPairSync } from 'node:crypto';
import { encode } from 'cborg';

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

/**
 * A COSE P-256 public key whose private half no one holds (made once per process and dropped).
 * Completing a sign-in for a named user with a passkey that user does not have (which is every
 * passkey, for an unknown name) still runs the verification against it, so the failure takes as
 * long as a real passkey's failed signature and timing does not tell whether the username exists.
 */
export const decoyPublicKey: Uint8Array<ArrayBuffer> = (() => {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  // Plain Uint8Arrays, so the coordinates are written as byte strings whatever the encoder makes of a Buffer.
  const coordinate = (value: string | undefined) => new Uint8Array(Buffer.from(value ?? '', 'base64url'));
  // kty EC2, alg ES256, crv P-256, x, y
  return new Uint8Array(encode(new Map<number, number | Uint8Array>([[1, 2], [3, -7], [-1, 1], [-2, coordinate(jwk.x)], [-3, coordinate(jwk.y)]])));
})();
