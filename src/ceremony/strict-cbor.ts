import { decode, decodeSequence, type DecodeOptions } from 'cbor2';

/**
 * Strict CBOR checks on what an authenticator sends, run before verification: definite lengths
 * only, no duplicate map keys, no trailing bytes, and nesting no deeper than the format needs.
 * Lenient parsers disagree on such input (which duplicate wins, where an item ends), which is how
 * crafted attestations slip past one check and into another; we refuse them outright.
 */

/** cbor2's depth count: a map inside a map holding an array (attStmt.x5c) is depth 4. */
const ATTESTATION_MAX_DEPTH = 4;
/** A COSE key is one flat map; authenticator extensions are a map of scalars (one level of slack). */
const AUTH_DATA_MAX_DEPTH = 3;

const strict = (maxDepth: number): DecodeOptions => ({
  rejectDuplicateKeys: true,
  rejectStreaming: true,
  maxDepth,
  preferMap: true,
});

const ATTESTATION_KEYS = new Set(['fmt', 'attStmt', 'authData']);
const AUTH_DATA_FIXED = 37; // rpIdHash[32] ‖ flags[1] ‖ signCount[4]
const FLAG_AT = 0x40;
const FLAG_ED = 0x80;
/** Firefox 117 wrote EdDSA keys as a map of 3 holding 4 pairs; @simplewebauthn/server patches it, so do we. */
const FIREFOX_117_EDDSA = Buffer.from('a301634f4b500327206745643235353139', 'hex');

/** The decoded `attestationObject`, or a short reason it is not strict CBOR of the right shape. */
export function checkAttestationObject(bytes: Uint8Array): { ok: true } | { ok: false; reason: string } {
  let decoded: unknown;
  try {
    decoded = decode(bytes, strict(ATTESTATION_MAX_DEPTH));
  } catch (error) {
    return { ok: false, reason: `attestationObject: ${error instanceof Error ? error.message : 'not CBOR'}` };
  }
  if (!(decoded instanceof Map) || decoded.size !== ATTESTATION_KEYS.size || ![...decoded.keys()].every((key) => ATTESTATION_KEYS.has(key as string))) {
    return { ok: false, reason: 'attestationObject: not a map of fmt, attStmt and authData' };
  }
  const authData = decoded.get('authData');
  if (typeof decoded.get('fmt') !== 'string' || !(decoded.get('attStmt') instanceof Map) || !(authData instanceof Uint8Array)) {
    return { ok: false, reason: 'attestationObject: fmt, attStmt or authData of the wrong type' };
  }
  return checkAuthenticatorData(authData);
}

/**
 * authenticatorData's embedded CBOR (the credential public key when AT is set, the extensions when
 * ED is set) must be exactly the items the flags announce, each strict, with nothing after them.
 */
export function checkAuthenticatorData(authData: Uint8Array): { ok: true } | { ok: false; reason: string } {
  if (authData.length < AUTH_DATA_FIXED) return { ok: false, reason: 'authData: too short' };
  const flags = authData[32]!;
  let offset = AUTH_DATA_FIXED;
  let expectedItems = 0;
  let tail: Uint8Array;
  if (flags & FLAG_AT) {
    if (authData.length < offset + 18) return { ok: false, reason: 'authData: attested credential data truncated' };
    const idLength = (authData[offset + 16]! << 8) | authData[offset + 17]!;
    offset += 18 + idLength;
    if (authData.length <= offset) return { ok: false, reason: 'authData: credential public key missing' };
    expectedItems += 1;
    tail = authData.subarray(offset);
    if (Buffer.from(tail.subarray(0, FIREFOX_117_EDDSA.length)).equals(FIREFOX_117_EDDSA)) tail = Uint8Array.of(0xa4, ...tail.subarray(1));
  } else {
    tail = authData.subarray(offset);
  }
  if (flags & FLAG_ED) expectedItems += 1;
  if (expectedItems === 0) return tail.length === 0 ? { ok: true } : { ok: false, reason: 'authData: trailing bytes' };

  let items = 0;
  try {
    for (const item of decodeSequence(tail, strict(AUTH_DATA_MAX_DEPTH))) {
      items += 1;
      if (items > expectedItems) return { ok: false, reason: 'authData: trailing bytes' };
      if (!(item instanceof Map)) return { ok: false, reason: 'authData: embedded item is not a map' };
    }
  } catch (error) {
    return { ok: false, reason: `authData: ${error instanceof Error ? error.message : 'not CBOR'}` };
  }
  return items === expectedItems ? { ok: true } : { ok: false, reason: 'authData: items missing' };
}
