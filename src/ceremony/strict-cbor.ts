import { decode, decodeFirst, type DecodeOptions } from 'cborg';

/**
 * Strict CBOR checks on what an authenticator sends, run before verification: definite lengths
 * only, no duplicate map keys, no trailing bytes, map keys that are text or integers, text that is
 * valid UTF-8, no tags or `undefined`, and nesting no deeper than the format needs. Lenient
 * parsers disagree on such input (which duplicate wins, where an item ends), which is how crafted
 * attestations slip past one check and into another; we refuse them outright.
 */

/** Containers inside containers: the attestation map, attStmt, then x5c (an array of certificates). */
const ATTESTATION_MAX_DEPTH = 3;
/** A COSE key is one flat map; authenticator extensions are a map of scalars (one level of slack). */
const AUTH_DATA_MAX_DEPTH = 2;

const STRICT: DecodeOptions = {
  useMaps: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
};

const ATTESTATION_KEYS = new Set(['fmt', 'attStmt', 'authData']);
const AUTH_DATA_FIXED = 37; // rpIdHash[32] ‖ flags[1] ‖ signCount[4]
const FLAG_AT = 0x40;
const FLAG_ED = 0x80;
/** Firefox 117 wrote EdDSA keys as a map of 3 holding 4 pairs; @simplewebauthn/server patches it, so do we. */
const FIREFOX_117_EDDSA = Buffer.from('a301634f4b500327206745643235353139', 'hex');
/** What the decoder puts where a text string had bytes that are not UTF-8; no WebAuthn field holds it. */
const REPLACEMENT_CHARACTER = '\uFFFD';

type Check = { ok: true } | { ok: false; reason: string };

/**
 * Decodes with STRICT; what the decoder throws is the reason. That includes running out of stack on
 * nesting thousands deep, which the decoder follows recursively: input limits keep that cheap.
 */
function strictDecode<T>(decodeWith: () => T): { ok: true; value: T } | { ok: false; reason: string } {
  try {
    return { ok: true, value: decodeWith() };
  } catch (error) {
    // Read the message without instanceof: a stack overflow's RangeError can come from another realm.
    const message = typeof error === 'object' && error !== null && 'message' in error ? error.message : undefined;
    return { ok: false, reason: typeof message === 'string' ? message : 'not CBOR' };
  }
}

/** The rules the decoder has no option for: nesting depth, key types and well-formed text. */
function checkDecoded(value: unknown, maxDepth: number): string | null {
  if (typeof value === 'string') return value.includes(REPLACEMENT_CHARACTER) ? 'text is not UTF-8' : null;
  const isMap = value instanceof Map;
  if (!isMap && !Array.isArray(value)) return null;
  if (maxDepth === 0) return 'nested deeper than the format allows';
  if (isMap) {
    for (const [key, item] of value) {
      if (typeof key !== 'string' && typeof key !== 'number') return 'map key is neither text nor an integer';
      const problem = checkDecoded(key, maxDepth - 1) ?? checkDecoded(item, maxDepth - 1);
      if (problem !== null) return problem;
    }
    return null;
  }
  for (const item of value as unknown[]) {
    const problem = checkDecoded(item, maxDepth - 1);
    if (problem !== null) return problem;
  }
  return null;
}

/** The decoded `attestationObject`, or a short reason it is not strict CBOR of the right shape. */
export function checkAttestationObject(bytes: Uint8Array): Check {
  const result = strictDecode(() => decode(bytes, STRICT) as unknown);
  if (!result.ok) return { ok: false, reason: `attestationObject: ${result.reason}` };
  const decoded = result.value;
  const problem = checkDecoded(decoded, ATTESTATION_MAX_DEPTH);
  if (problem !== null) return { ok: false, reason: `attestationObject: ${problem}` };
  if (!(decoded instanceof Map) || decoded.size !== ATTESTATION_KEYS.size || ![...decoded.keys()].every((key) => ATTESTATION_KEYS.has(key as string))) {
    return { ok: false, reason: 'attestationObject: not a map of fmt, attStmt and authData' };
  }
  const fields = decoded as Map<unknown, unknown>;
  const authData = fields.get('authData');
  if (typeof fields.get('fmt') !== 'string' || !(fields.get('attStmt') instanceof Map) || !(authData instanceof Uint8Array)) {
    return { ok: false, reason: 'attestationObject: fmt, attStmt or authData of the wrong type' };
  }
  return checkAuthenticatorData(authData);
}

/**
 * authenticatorData's embedded CBOR (the credential public key when AT is set, the extensions when
 * ED is set) must be exactly the items the flags announce, each strict, with nothing after them.
 */
export function checkAuthenticatorData(authData: Uint8Array): Check {
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

  let rest = tail;
  for (let items = 1; items <= expectedItems; items += 1) {
    const result = strictDecode(() => decodeFirst(rest, STRICT) as [unknown, Uint8Array]);
    if (!result.ok) return { ok: false, reason: `authData: ${result.reason}` };
    const [item, remainder] = result.value;
    if (!(item instanceof Map)) return { ok: false, reason: 'authData: embedded item is not a map' };
    const problem = checkDecoded(item, AUTH_DATA_MAX_DEPTH);
    if (problem !== null) return { ok: false, reason: `authData: ${problem}` };
    rest = remainder;
    if (rest.length === 0) return items === expectedItems ? { ok: true } : { ok: false, reason: 'authData: items missing' };
  }
  return { ok: false, reason: 'authData: trailing bytes' };
}
