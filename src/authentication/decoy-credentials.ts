import { createHmac, generateKeyPairSync, timingSafeEqual } from 'node:crypto';
import { encode } from 'cborg';
import type { CredentialShape } from '../domain/account.js';

/** Transports of the stand-in a scope without accounts answers with (the gateway's first decoys). */
const FALLBACK_TRANSPORTS: readonly (readonly string[])[] = [['internal'], ['hybrid', 'internal'], ['usb'], ['internal']];

/** Bytes of seed that choose the account shape: 48 bits, so every position of a sample is as likely. */
const PICK_BYTES = 6;

/**
 * The last bytes of a stand-in id of at least MIN_TAGGED_BYTES are a MAC of the rest under the
 * deployment secret: the gateway can tell its own stand-ins from unknown ids without knowing the
 * username they were made for, and no one else can (see isStandInId).
 */
const TAG_BYTES = 8;
/** Passkey ids are at least 16 bytes (WebAuthn); a shorter id might be a stand-in too short to tag. */
const MIN_TAGGED_BYTES = 16;

/**
 * The account shapes (each account's passkeys in allowCredentials order) unknown-user answers are
 * drawn from, in canonical order: identical shapes sit together, so a sample that changes by a few
 * accounts moves few positions and seldom changes what a username draws.
 */
export interface ShapeSample {
  readonly shapes: readonly (readonly CredentialShape[])[];
}

/** A scope without accounts: unknown users then get one 32-byte stand-in. */
export const emptyShapeSample: ShapeSample = Object.freeze({ shapes: Object.freeze([]) });

/** Puts a scope's account shapes (from AccountStore.credentialShapes) in canonical order. */
export function shapeSample(accounts: readonly (readonly CredentialShape[])[]): ShapeSample {
  const keyed = accounts
    .filter((shape) => shape.length > 0)
    .map((shape) => ({ shape, key: JSON.stringify(shape.map(({ id_length, transports }) => [id_length, transports])) }));
  // Code-unit order, not localeCompare: the order must not depend on the process's locale.
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { shapes: keyed.map(({ shape }) => shape) };
}

/**
 * Stand-in credentials for a username without an account, so that initiateAuthentication answers
 * an unknown user as it answers a known one: the same answer every time for the same sample, not
 * computable without the deployment secret, and shaped like a real account of the scope. The
 * seed picks a whole account shape (number of passkeys, each one's id length and transports) at a
 * uniformly drawn position of the sample, so shapes come up as often as real accounts show them;
 * the ids are the seed's following bytes.
 */
export function decoyCredentials(secret: Buffer, scopeId: string, usernameKey: string, sample: ShapeSample): { id: string; transports: string[] }[] {
  if (sample.shapes.length === 0) return fallbackDecoy(secret, scopeId, usernameKey);
  const next = hmacStream(secret, `decoy-shape\0${scopeId}\0${usernameKey}`);
  const position = Math.floor((next(PICK_BYTES).readUIntBE(0, PICK_BYTES) / 2 ** (8 * PICK_BYTES)) * sample.shapes.length);
  return sample.shapes[position]!.map(({ id_length, transports }) => ({
    id: tagged(secret, scopeId, next(Math.max(1, id_length))).toString('base64url'),
    transports: [...transports],
  }));
}

/**
 * Whether a credential id may be one of this scope's stand-ins (see decoyCredentials): its tag
 * matches, or it is too short to carry one. A usernameless sign-in answers `unknown_credential`
 * only for an id that is not: a stand-in id replayed there must fail as a real passkey's bad
 * signature fails, or the two flows together would tell a stand-in from a real account's passkey.
 */
export function isStandInId(secret: Buffer, scopeId: string, credentialId: string): boolean {
  const bytes = Buffer.from(credentialId, 'base64url');
  if (bytes.length < MIN_TAGGED_BYTES) return true;
  const expected = tagged(secret, scopeId, bytes).subarray(bytes.length - TAG_BYTES);
  return timingSafeEqual(expected, bytes.subarray(bytes.length - TAG_BYTES));
}

/** `bytes` with its last TAG_BYTES replaced by the MAC of the others (ids too short to tag as they are). */
function tagged(secret: Buffer, scopeId: string, bytes: Buffer): Buffer {
  if (bytes.length < MIN_TAGGED_BYTES) return bytes;
  const body = bytes.subarray(0, bytes.length - TAG_BYTES);
  const tag = createHmac('sha256', secret).update(`decoy-tag\0${scopeId}\0`, 'utf8').update(body).digest().subarray(0, TAG_BYTES);
  return Buffer.concat([body, tag]);
}

/** The answer before any account exists: the gateway's original decoy, one 32-byte id. */
function fallbackDecoy(secret: Buffer, scopeId: string, usernameKey: string): { id: string; transports: string[] }[] {
  const digest = createHmac('sha256', secret).update(`decoy-credential\0${scopeId}\0${usernameKey}`, 'utf8').digest();
  return [{ id: tagged(secret, scopeId, digest).toString('base64url'), transports: [...FALLBACK_TRANSPORTS[digest[0]! % FALLBACK_TRANSPORTS.length]!] }];
}

/**
 * Successive bytes of HMAC-SHA256 in counter mode under a key derived from `label`: block i is
 * HMAC(HMAC(secret, label), i as 4 bytes). Each call returns the next `length` bytes.
 */
function hmacStream(secret: Buffer, label: string): (length: number) => Buffer {
  const key = createHmac('sha256', secret).update(label, 'utf8').digest();
  let block = 0;
  let buffered = Buffer.alloc(0);
  return (length) => {
    const blocks = [buffered];
    let available = buffered.length;
    while (available < length) {
      const counter = Buffer.alloc(4);
      counter.writeUInt32BE(block);
      block += 1;
      blocks.push(createHmac('sha256', key).update(counter).digest());
      available += 32;
    }
    const bytes = Buffer.concat(blocks);
    buffered = bytes.subarray(length);
    return bytes.subarray(0, length);
  };
}

/**
 * A COSE P-256 public key whose private half no one holds (made once per gateway and dropped).
 * Completing a sign-in for a named user with a passkey that user does not have (which is every
 * passkey, for an unknown name) still runs the verification against it, so the failure takes as
 * long as a real passkey's failed signature and timing does not tell whether the username exists.
 */
export function createDecoyPublicKey(): Uint8Array<ArrayBuffer> {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  // Plain Uint8Arrays, so the coordinates are written as byte strings whatever the encoder makes of a Buffer.
  const coordinate = (value: string | undefined) => new Uint8Array(Buffer.from(value ?? '', 'base64url'));
  // kty EC2, alg ES256, crv P-256, x, y
  return new Uint8Array(encode(new Map<number, number | Uint8Array>([[1, 2], [3, -7], [-1, 1], [-2, coordinate(jwk.x)], [-3, coordinate(jwk.y)]])));
}
