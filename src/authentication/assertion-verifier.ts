import { createHash } from 'node:crypto';
import type { AuthenticationResponseJSON, VerifiedAuthenticationResponse } from '@simplewebauthn/server';
import { isoBase64URL, parseAuthenticatorData } from '@simplewebauthn/server/helpers';
import { LRUCache } from 'lru-cache';
import { prepareAssertionKey, type AssertionKey } from './assertion-key.js';
import { verifyAssertionSignature } from './assertion-signature.js';

/** verifyAuthenticationResponse's options, as far as the gateway uses them. */
export interface VerifyAssertionOptions {
  response: AuthenticationResponseJSON;
  expectedChallenge: string;
  expectedOrigin: string | string[];
  expectedRPID: string | string[];
  /** Pages that may embed the ceremony in a cross-origin iframe (the clientData topOrigin); none when absent. */
  expectedTopOrigin?: string | string[];
  /** The stored passkey: its id, its COSE public key, and the counter the signCount step compares with. */
  credential: { id: string; publicKey: Uint8Array<ArrayBuffer>; counter: number };
  /** Default true, as in the library. */
  requireUserVerification?: boolean;
}

export interface AssertionVerifier {
  /** verifyAuthenticationResponse's answer for the same options: it resolves, or throws, as the library does. */
  verify(options: VerifyAssertionOptions): Promise<VerifiedAuthenticationResponse>;
  /** Credential public keys held, parsed, right now. */
  readonly cachedKeys: number;
}

export interface AssertionVerifierOptions {
  /** Most credential public keys kept parsed; the least recently used goes first. Default 10 000. */
  maxKeys?: number;
}

/**
 * Verifies passkey assertions (WebAuthn L3 §7.2) with node:crypto, and answers exactly as
 * @simplewebauthn/server 14's verifyAuthenticationResponse does: the same checks in the same order,
 * the same accepts, the same refusals. The library pays three WebCrypto calls per assertion, each a
 * threadpool job (importKey from a JWK, digest, verify: about 0.5 ms of CPU); here SHA-256 runs
 * through createHash and the signature through `verify` with a KeyObject made once per credential
 * public key and kept in a bounded LRU that belongs to this verifier (one per gateway instance).
 *
 * Byte formats are read with the library's own helpers (its base64url decoder, its authenticator
 * data parser, its COSE decoder), so odd encodings mean the same to both; anything it checks is
 * checked here with the library's own tests, quirks included. A differential test runs thousands of
 * generated and mutated assertions through both (test/authentication/assertion-verifier.differential.test.ts).
 * Like the library, it throws for a response it refuses and answers `verified: false` for a
 * signature that does not verify; the caller turns either into verification_failed.
 */
export function createAssertionVerifier(options: AssertionVerifierOptions = {}): AssertionVerifier {
  const keys = new LRUCache<string, AssertionKey>({ max: options.maxKeys ?? 10_000 });
  const decoder = new TextDecoder();
  const utf8 = (bytes: Uint8Array) => decoder.decode(bytes);
  const keyOf = (publicKey: Uint8Array): AssertionKey => {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64');
    const cached = keys.get(id);
    if (cached !== undefined) return cached;
    const prepared = prepareAssertionKey(publicKey);
    keys.set(id, prepared);
    return prepared;
  };
  return {
    verify: (verifyOptions) => verifyAssertion(verifyOptions, keyOf, utf8),
    get cachedKeys() {
      return keys.size;
    },
  };
}

const TOKEN_BINDING_STATUSES: readonly unknown[] = ['present', 'supported', 'notSupported'];

/** The step list (WebAuthn L3 §7.2, each check named by its step), in verifyAuthenticationResponse's order. */
async function verifyAssertion(
  options: VerifyAssertionOptions,
  keyOf: (publicKey: Uint8Array) => AssertionKey,
  utf8: (bytes: Uint8Array) => string,
): Promise<VerifiedAuthenticationResponse> {
  const { response, expectedChallenge, expectedOrigin, expectedRPID, expectedTopOrigin, credential, requireUserVerification = true } = options;
  const { id, rawId, type, response: assertion } = response;
  // §7.2 response step: a public-key credential, its id its rawId in base64url.
  if (!id) throw new Error('Missing credential ID');
  if (id !== rawId) throw new Error('Credential ID was not base64url-encoded');
  if (type !== 'public-key') throw new Error(`Unexpected credential type ${String(type)}, expected "public-key"`);
  // §7.2 cData step: a base64url string, decoded by the library's decoder (the bytes it hashes).
  if (typeof assertion?.clientDataJSON !== 'string') throw new Error('Credential response clientDataJSON was not a string');
  const clientDataBytes = isoBase64URL.toBuffer(assertion.clientDataJSON);
  // §7.2 JSONtext and C steps: UTF-8 decode (TextDecoder, which drops a leading BOM), then JSON.
  const clientData = fieldsOf(JSON.parse(utf8(clientDataBytes)) as unknown);
  const { type: clientType, origin, challenge, tokenBinding, crossOrigin, topOrigin } = clientData;
  // §7.2 C.type step: webauthn.get.
  if (clientType !== 'webauthn.get') throw new Error(`Unexpected authentication response type: ${String(clientType)}`);
  // §7.2 C.challenge step: the challenge sent, compared as a string.
  if (challenge !== expectedChallenge) throw new Error(`Unexpected authentication response challenge "${String(challenge)}", expected "${expectedChallenge}"`);
  // §7.2 C.topOrigin step: a cross-origin response's topOrigin must be an expected one; crossOrigin
  // without a topOrigin passes, as in the library (Safari sends none; the gateway's framing policy
  // refuses it before verification); a topOrigin without crossOrigin is refused.
  if (truthy(crossOrigin)) {
    if (truthy(topOrigin)) {
      if (!expectedTopOrigin) throw new Error(`Unexpected cross-origin response from top origin "${String(topOrigin)}"`);
      const expected: unknown[] = Array.isArray(expectedTopOrigin) ? expectedTopOrigin : [expectedTopOrigin];
      if (!expected.includes(topOrigin)) throw new Error(`Unexpected cross-origin response top origin "${String(topOrigin)}"`);
    }
  } else if (truthy(topOrigin)) {
    throw new Error(`Unexpected top origin of "${String(topOrigin)}" in a response that is not cross-origin`);
  }
  // §7.2 C.origin step: one of the scope's origins.
  if (Array.isArray(expectedOrigin) ? !(expectedOrigin as unknown[]).includes(origin) : origin !== expectedOrigin) {
    throw new Error(`Unexpected authentication response origin "${String(origin)}"`);
  }
  // §7.2 authData and sig step: base64url (padding allowed); a userHandle is a string.
  if (!isoBase64URL.isBase64URL(assertion.authenticatorData)) throw new Error('Credential response authenticatorData was not a base64url string');
  if (!isoBase64URL.isBase64URL(assertion.signature)) throw new Error('Credential response signature was not a base64url string');
  if (truthy(assertion.userHandle) && typeof assertion.userHandle !== 'string') throw new Error('Credential response userHandle was not a string');
  // WebAuthn L2 §7.2 C.tokenBinding step (gone from L3): an object with a known status.
  if (truthy(tokenBinding)) {
    if (typeof tokenBinding !== 'object') throw new Error('ClientDataJSON tokenBinding was not an object');
    if (!TOKEN_BINDING_STATUSES.includes((tokenBinding as { status?: unknown }).status)) throw new Error('Unexpected tokenBinding status');
  }
  // §7.2 authData step: parsed by the library's parser (attested credential data and extensions read
  // as it reads them, leftover bytes refused).
  const authData = isoBase64URL.toBuffer(assertion.authenticatorData);
  const { rpIdHash, flags, counter, extensionsData } = parseAuthenticatorData(authData);
  // §7.2 rpIdHash step: SHA-256 of an expected RP ID (its code units taken as bytes, as the library does).
  const rpID = (Array.isArray(expectedRPID) ? expectedRPID : [expectedRPID]).find((candidate) =>
    createHash('sha256').update(candidate, 'latin1').digest().equals(rpIdHash),
  );
  if (rpID === undefined) throw new Error('Unexpected RP ID hash');
  // §7.2 UP step: the user was present.
  if (!flags.up) throw new Error('User not present during authentication');
  // §7.2 UV step: the user was verified, where the scope requires it.
  if (requireUserVerification && !flags.uv) throw new Error('User verification required, but user could not be verified');
  // §7.2 hash step: SHA-256 of cData.
  const clientDataHash = createHash('sha256').update(clientDataBytes).digest();
  const signedData = Buffer.concat([authData, clientDataHash]);
  const signature = isoBase64URL.toBuffer(assertion.signature);
  // §7.2 signCount step, before the signature as in the library: refused when either counter is non-zero
  // and it does not grow (the gateway passes 0 and applies its own rule afterwards: never refused here).
  if ((counter > 0 || credential.counter > 0) && counter <= credential.counter) {
    throw new Error(`Response counter value ${counter} was lower than expected ${credential.counter}`);
  }
  // §7.2 signature step, the key: a COSE key with a numeric alg the runtime supports (parsed once, cached).
  const key = keyOf(credential.publicKey);
  if (key.kind === 'refused' && key.step === 'key') throw new Error(key.reason);
  // §7.2 BE/BS step: a single-device credential (BE unset) is not backed up (BS unset).
  if (!flags.be && flags.bs) throw new Error('Single-device credential indicated that it was backed up, which should be impossible.');
  // §7.2 signature step: sig is a valid signature over authData ‖ hash.
  const verified = await verifyAssertionSignature(key, signature, signedData);
  return {
    verified,
    authenticationInfo: {
      newCounter: counter,
      credentialID: credential.id,
      userVerified: flags.uv,
      credentialDeviceType: flags.be ? 'multiDevice' : 'singleDevice',
      credentialBackedUp: flags.bs,
      authenticatorExtensionResults: extensionsData,
      origin: origin as string,
      rpID,
    },
  };
}

/** JavaScript truthiness, which is what the library tests these fields with. */
function truthy(value: unknown): boolean {
  return Boolean(value);
}

/**
 * The client data fields, read as the library's destructuring reads them: from any JSON value but
 * null (which throws there).
 */
function fieldsOf(parsed: unknown): Partial<Record<'type' | 'origin' | 'challenge' | 'tokenBinding' | 'crossOrigin' | 'topOrigin', unknown>> {
  if (parsed === null) throw new Error('clientDataJSON is null');
  return typeof parsed === 'object' ? parsed : {};
}
