/**
 * The gateway's assertion verifier against @simplewebauthn/server's verifyAuthenticationResponse:
 * generated assertions, most of them mutated (client data, authenticator data, flags, counters,
 * signatures and their encodings, stored keys, key types), each run through both with the same
 * options. They must agree on every accept and every refusal, on the kind of refusal (thrown, or a
 * signature that does not verify), and on every output of an accept.
 */
import { constants, createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { decodeCBOR, encodeCBOR, type CBORType } from '@levischuck/tiny-cbor';
import { p384, p521 } from '@noble/curves/nist.js';
import {
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type VerifiedAuthenticationResponse,
} from '@simplewebauthn/server';
import { createAssertionVerifier, type VerifyAssertionOptions } from '../../src/authentication/assertion-verifier.js';
import { createDecoyPublicKey } from '../../src/authentication/decoy-credentials.js';
import { authenticationResponseSchema } from '../../src/ceremony/webauthn-json.js';
import { SoftAuthenticator, type SoftAlgorithm, type SoftCredential } from '../../scripts/lib/soft-authenticator.js';

const RP_ID = 'app.example.test';
const ORIGINS = ['https://app.example.test', 'https://www.app.example.test'];
/** A page that embeds the ceremony in a cross-origin iframe (a clientData topOrigin). */
const EMBEDDER = 'https://shop.embedder.test';
/** Cases per run: a fixed seed (the same cases every run), then a fresh seed (printed when it fails). */
const FIXED_RUNS = Number(process.env.ASSERTION_DIFF_RUNS ?? 10_000);
const RANDOM_RUNS = Math.ceil(FIXED_RUNS / 4);
const FIXED_SEED = 0x5eed_7e57;
const RANDOM_SEED = Number(process.env.ASSERTION_DIFF_SEED ?? Date.now() % 0x7fffffff);

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => new Uint8Array(createHash('sha256').update(data).digest());

// ---------------------------------------------------------------------------------------------
// Keys: what the gateway would have stored for each, and a node:crypto signer for it.

type KeyType = 'ES256' | 'EdDSA' | 'RS256' | 'ES384' | 'ES512' | 'PS256';

interface Signer {
  type: KeyType;
  /** The COSE key as registration stored it. */
  publicKey: Uint8Array;
  cose: Map<number, CBORType>;
  privateKey: KeyObject;
  /** ECDSA curve order, for high-S signatures. */
  order?: bigint;
}

const ORDERS = {
  'P-256': 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  'P-384': 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  'P-521': 0x01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
};

/** A passkey made by the project's software authenticator and registered through @simplewebauthn/server. */
async function softSigner(algorithm: SoftAlgorithm): Promise<Signer> {
  const authenticator = new SoftAuthenticator({ algorithm, attestation: 'none' });
  const options = await generateRegistrationOptions({ rpName: 'diff', rpID: RP_ID, userName: 'diff', attestationType: 'none' });
  const registered = await verifyRegistrationResponse({
    response: authenticator.createCredential(options, ORIGINS[0]!),
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGINS[0]!,
    expectedRPID: RP_ID,
  });
  const publicKey = registered.registrationInfo!.credential.publicKey;
  const credential = authenticator.credentials[0]!;
  const cose = decodeCose(publicKey);
  return { type: algorithm, publicKey, cose, privateKey: nodePrivateKey(credential, cose), ...(algorithm === 'ES256' ? { order: ORDERS['P-256'] } : {}) };
}

function nodePrivateKey(credential: SoftCredential, cose: Map<number, CBORType>): KeyObject {
  const part = (label: number) => b64url(cose.get(label) as Uint8Array);
  if (credential.algorithm === 'RS256') return createPrivateKey({ key: Buffer.from(credential.secretKey), format: 'der', type: 'pkcs8' });
  if (credential.algorithm === 'ES256') return createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64url(credential.secretKey), x: part(-2), y: part(-3) }, format: 'jwk' });
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(credential.secretKey), x: part(-2) }, format: 'jwk' });
}

/** Key types the software authenticator does not make: ES384, ES512 (P-521) and PS256. */
function extraSigner(type: 'ES384' | 'ES512' | 'PS256'): Signer {
  if (type === 'PS256') {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = new Map<number, CBORType>([[1, 3], [3, -37], [-1, bytesOf(jwk.n)], [-2, bytesOf(jwk.e)]]);
    return { type, publicKey: encodeCBOR(cose), cose, privateKey };
  }
  const [curve, crv, name, alg] = type === 'ES384' ? ([p384, 2, 'P-384', -35] as const) : ([p521, 3, 'P-521', -36] as const);
  const secret = curve.utils.randomSecretKey();
  const point = curve.getPublicKey(secret, false);
  const size = (point.length - 1) / 2;
  const x = point.slice(1, 1 + size);
  const y = point.slice(1 + size);
  const cose = new Map<number, CBORType>([[1, 2], [3, alg], [-1, crv], [-2, x], [-3, y]]);
  const privateKey = createPrivateKey({ key: { kty: 'EC', crv: name, d: b64url(secret), x: b64url(x), y: b64url(y) }, format: 'jwk' });
  return { type, publicKey: encodeCBOR(cose), cose, privateKey, order: ORDERS[name] };
}

const bytesOf = (value: string | undefined) => new Uint8Array(Buffer.from(value ?? '', 'base64url'));

function decodeCose(bytes: Uint8Array): Map<number, CBORType> {
  return decodeCBOR(bytes) as Map<number, CBORType>;
}

// ---------------------------------------------------------------------------------------------
// Mutations: each draws a kind and a few numbers, and changes the draft of one assertion.

const KINDS = [
  'challenge', 'origin', 'type', 'crossOrigin', 'topOrigin', 'tokenBinding', 'clientDataExtra', 'clientDataText', 'bom',
  'rpIdHash', 'flags', 'counter', 'storedCounter', 'extensions', 'extensionsUnflagged', 'attestedData', 'trailingBytes',
  'signatureBit', 'signatureLength', 'derEncoding', 'userHandle', 'credentialId', 'padding', 'storedKey', 'otherKey',
  'expectations', 'userVerification',
] as const;
type Kind = (typeof KINDS)[number];

interface Mutation {
  kind: Kind;
  a: number;
  b: number;
  bytes: Uint8Array;
}

interface Draft {
  signer: Signer;
  storedKey: Uint8Array;
  /** The hash ECDSA and RSA signatures are made with (the one the stored key's alg names). */
  signHash: string;
  clientData: Record<string, unknown>;
  clientDataText: string | null;
  bom: boolean;
  rpIdHash: Uint8Array;
  flags: number;
  counter: number;
  authDataTail: Uint8Array;
  signatureEdits: ((signature: Uint8Array, signer: Signer) => Uint8Array)[];
  id: string;
  rawId: string;
  credentialType: string;
  userHandle: string | null | undefined;
  padding: [string, string, string];
  requireUserVerification: boolean;
  storedCounter: number;
  expectedOrigin: string | string[];
  expectedRPID: string | string[];
  expectedTopOrigin: string | string[] | undefined;
}

const HASH_OF_ALG = new Map<unknown, string>([
  [-7, 'sha256'], [-37, 'sha256'], [-257, 'sha256'], [-35, 'sha384'], [-38, 'sha384'], [-258, 'sha384'],
  [-36, 'sha512'], [-39, 'sha512'], [-259, 'sha512'], [-8, 'sha512'], [-65535, 'sha1'],
]);

const pick = <T>(list: readonly T[], n: number): T => list[n % list.length]!;
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const hex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s/g, ''), 'hex'));
const FLAG_ED = 0x80;
const FLAG_AT = 0x40;

/** Authenticator extension outputs: well-formed ones, and encodings tiny-cbor reads its own way. */
const EXTENSIONS = [
  encodeCBOR(new Map<string, CBORType>([['credProtect', 2]])),
  encodeCBOR(new Map<string, CBORType>([['hmac-secret', true]])),
  encodeCBOR(new Map<string, CBORType>([['devicePubKey', new Map<string, CBORType>([['dpk', new Uint8Array(8)], ['nonce', new Uint8Array(0)]])]])),
  hex('a1 61 61 18 05'), // 5 in a one-byte argument: not shortest form
  hex('a1 61 61 19 01 00'), // 256 in two bytes (shortest)
  hex('a1 61 61 19 00 ff'), // 255 in two bytes: not shortest, re-encoded shorter
  hex('a1 61 61 fa 3f 80 00 00'), // 1.0 as a float32: re-encoded as an integer
  hex('a1 61 61 f9 7c 00'), // +Infinity as a float16: re-encoded as a float32
  hex('a1 61 61 f9 3c 00'), // 1.0 as a float16: tiny-cbor refuses
  hex('a1 62 c3 a9 01'), // the key "é": re-encoded with its UTF-16 length
  hex('a1 61 61 f7'), // undefined
  hex('a1 61 61 c1 01'), // a tag
  hex('a2 61 61 01 61 61 02'), // a duplicate key
  hex('bf 61 61 01 ff'), // indefinite length
  hex('a0'), // empty map
  hex('81 01'), // an array, not a map
  hex('a1 01 02 03'), // a map and a byte more
];

function applyMutation(draft: Draft, { kind, a, b, bytes }: Mutation, signers: readonly Signer[], decoy: Uint8Array): void {
  const data = draft.clientData;
  switch (kind) {
    case 'challenge': {
      const variants: (() => void)[] = [
        () => (data.challenge = b64url(bytes.length > 0 ? bytes : new Uint8Array([1]))),
        () => (data.challenge = `${String(data.challenge)}=`),
        () => (data.challenge = String(data.challenge).toUpperCase()),
        () => delete data.challenge,
        () => (data.challenge = 1),
        () => (data.challenge = [data.challenge]),
      ];
      pick(variants, a)();
      return;
    }
    case 'origin':
      if (a % 7 === 6) delete data.origin;
      else data.origin = pick<unknown>(['https://evil.example', ORIGINS[1], `${ORIGINS[0]}/`, null, 'https://app.example.test:443', 'HTTPS://APP.EXAMPLE.TEST'], a);
      return;
    case 'type':
      if (a % 5 === 4) delete data.type;
      else data.type = pick(['webauthn.create', 'webauthn.get ', 'payment.get', 'WEBAUTHN.GET'], a);
      return;
    case 'crossOrigin':
      data.crossOrigin = pick<unknown>([true, 'yes', 1, false, null], a);
      return;
    case 'topOrigin':
      data.topOrigin = pick<unknown>(['https://evil.example', ORIGINS[0], '', 0, {}, null, false, [], EMBEDDER, EMBEDDER], a);
      data.crossOrigin = b % 2 === 0;
      // The embedding pages the caller expects, as a scope's top_origins pass them (or none at all).
      draft.expectedTopOrigin = pick<string | string[] | undefined>([undefined, [EMBEDDER], [], [ORIGINS[1]!, EMBEDDER], EMBEDDER, ''], Math.floor(b / 2));
      return;
    case 'tokenBinding':
      data.tokenBinding = pick<unknown>(
        [{ status: 'present', id: 'abc' }, { status: 'supported' }, { status: 'notSupported' }, { status: 'bogus' }, 'present', [], null, {}, 1, ''],
        a,
      );
      return;
    case 'clientDataExtra':
      data[pick(['other_keys_can_be_added_here', 'extra', 'é', 'androidPackageName'], a)] = pick<unknown>(['do not compare clientDataJSON against a template', { nested: [1, 2] }, b, null], b);
      return;
    case 'clientDataText':
      draft.clientDataText = pick(
        [
          'null',
          '1',
          '[]',
          '"webauthn.get"',
          '{',
          // A duplicate key: JSON.parse keeps the last.
          `{"type":"webauthn.create","challenge":${JSON.stringify(data.challenge)},"origin":${JSON.stringify(data.origin)},"type":"webauthn.get"}`,
          `{"type":"webauthn.get","challenge":${JSON.stringify(data.challenge)},"origin":${JSON.stringify(data.origin)},"__proto__":{"type":"x"}}`,
          ` \n{"type":"webauthn.get","challenge":${JSON.stringify(data.challenge)},"origin":${JSON.stringify(data.origin)}}\n `,
        ],
        a,
      );
      return;
    case 'bom':
      draft.bom = true;
      return;
    case 'rpIdHash':
      if (a % 4 === 3) {
        draft.rpIdHash = draft.rpIdHash.slice();
        draft.rpIdHash[b % 32]! ^= 1 << (b % 8);
      } else draft.rpIdHash = sha256(pick(['evil.example', 'App.example.test', ORIGINS[0]!], a));
      return;
    case 'flags':
      draft.flags ^= 1 << (a % 8);
      return;
    case 'counter':
      draft.counter = pick([0, 1, (a * 2654435761 + b) >>> 0, 0xffffffff], b);
      return;
    case 'storedCounter':
      draft.storedCounter = a % 4;
      draft.counter = b % 5;
      return;
    case 'extensions':
      draft.flags |= FLAG_ED;
      draft.authDataTail = concat(draft.authDataTail, a % (EXTENSIONS.length + 1) === EXTENSIONS.length ? bytes : pick(EXTENSIONS, a));
      return;
    case 'extensionsUnflagged':
      draft.authDataTail = concat(draft.authDataTail, pick(EXTENSIONS, a));
      return;
    case 'attestedData': {
      // Attested credential data, which assertions do not carry; the library reads it when AT is set.
      const credentialId = bytes.length > 0 ? bytes : new Uint8Array([7]);
      const idLength = new Uint8Array([credentialId.length >> 8, credentialId.length & 0xff]);
      const attested = concat(new Uint8Array(16), idLength, credentialId, draft.signer.publicKey);
      if (a % 3 !== 2) draft.flags |= FLAG_AT;
      draft.authDataTail = a % 3 === 1 ? attested.subarray(0, attested.length - 1 - (b % 4)) : concat(draft.authDataTail, attested);
      return;
    }
    case 'trailingBytes':
      draft.authDataTail = concat(draft.authDataTail, bytes.length > 0 ? bytes : new Uint8Array([0]));
      return;
    case 'signatureBit':
      draft.signatureEdits.push((signature) => {
        const out = signature.slice();
        if (out.length > 0) out[a % out.length]! ^= 1 << (b % 8);
        return out;
      });
      return;
    case 'signatureLength':
      draft.signatureEdits.push((signature) =>
        pick([() => signature.subarray(0, Math.max(0, signature.length - 1 - (a % 3))), () => concat(signature, bytes), () => signature.subarray(1), () => new Uint8Array(0)], b)(),
      );
      return;
    case 'derEncoding':
      draft.signatureEdits.push((signature, signer) => (signer.order === undefined ? signature : derVariant(signature, signer.order, a, bytes)));
      return;
    case 'userHandle':
      draft.userHandle = pick([null, undefined, b64url(bytes), ''], a);
      return;
    case 'credentialId':
      pick<() => void>(
        [
          () => (draft.rawId = b64url(concat(Buffer.from(draft.rawId, 'base64url'), new Uint8Array([a & 0xff])))),
          () => (draft.id = draft.rawId = ''),
          () => (draft.credentialType = 'public-key '),
          () => (draft.id = `${draft.id}=`),
        ],
        a,
      )();
      return;
    case 'padding':
      draft.padding[a % 3] = '='.repeat(1 + (b % 2));
      return;
    case 'storedKey':
      storedKeyVariant(draft, a, b);
      return;
    case 'otherKey':
      draft.storedKey = a % 4 === 0 ? decoy : pick(signers, b).publicKey;
      return;
    case 'expectations':
      if (a % 3 === 0) draft.expectedOrigin = ORIGINS[0]!;
      else if (a % 3 === 1) draft.expectedRPID = ['other.example', RP_ID];
      else draft.expectedOrigin = [];
      return;
    case 'userVerification':
      draft.requireUserVerification = !draft.requireUserVerification;
      return;
  }
}

/** The stored key changed the ways a database row could be: other algs, missing parts, other types. */
function storedKeyVariant(draft: Draft, a: number, b: number): void {
  const cose = new Map(draft.signer.cose);
  const kty = cose.get(1);
  const variants: (() => void)[] = [
    () => cose.delete(3),
    () => cose.set(3, 'ES256'),
    () => cose.set(3, 0),
    () => cose.set(3, -48), // ML-DSA-44
    () => cose.set(3, -47), // ES256K: no hash mapping
    () => cose.set(3, 5), // not a COSE alg
    () => cose.set(3, pick([-7, -35, -36, -257, -8, -65535, -37], b)), // another alg: another hash, or another scheme
    () => cose.set(1, 7), // AKP
    () => cose.set(1, 9),
    () => cose.delete(1),
    () => cose.set(-1, pick([6, 8, 4, 1, 2], b)), // EC2 curve / RSA n / OKP crv
    () => cose.delete(-2),
    () => cose.delete(-3),
    () => {
      const part = cose.get(kty === 3 ? -1 : -2);
      if (part instanceof Uint8Array && part.length > 0) {
        const changed = part.slice();
        changed[b % changed.length]! ^= 1;
        cose.set(kty === 3 ? -1 : -2, changed);
      }
    },
    () => cose.set(-2, new Uint8Array(0)),
  ];
  const raw = [
    () => draft.signer.publicKey.subarray(0, draft.signer.publicKey.length - 1 - (b % 8)), // cut short
    () => concat(draft.signer.publicKey, new Uint8Array([b & 0xff])), // a byte after the map
    () => hex('83 01 02 03'), // an array
    () => new Uint8Array(0),
  ];
  const choice = a % (variants.length + raw.length);
  if (choice < variants.length) {
    variants[choice]!();
    draft.storedKey = encodeCBOR(cose);
    draft.signHash = HASH_OF_ALG.get(cose.get(3)) ?? draft.signHash;
  } else {
    draft.storedKey = raw[choice - variants.length]!();
  }
}

// DER pieces, for re-encoding ECDSA signatures.
function derIntegers(signature: Uint8Array): [bigint, bigint] | null {
  try {
    let offset = signature[1]! === 0x81 ? 3 : 2;
    const read = () => {
      const length = signature[offset + 1]!;
      const value = BigInt(`0x${Buffer.from(signature.subarray(offset + 2, offset + 2 + length)).toString('hex') || '0'}`);
      offset += 2 + length;
      return value;
    };
    return [read(), read()];
  } catch {
    return null;
  }
}
function derInteger(value: bigint, extraZero = false): Uint8Array {
  let hexValue = value.toString(16);
  if (hexValue.length % 2 === 1) hexValue = `0${hexValue}`;
  let body = Buffer.from(hexValue, 'hex');
  if (body[0]! & 0x80 || extraZero) body = Buffer.concat([Buffer.alloc(1), body]);
  return concat(new Uint8Array([0x02, body.length]), body);
}
function derLength(length: number): Uint8Array {
  return length < 0x80 ? new Uint8Array([length]) : new Uint8Array([0x81, length]);
}
function derSequence(content: Uint8Array, tag = 0x30): Uint8Array {
  return concat(new Uint8Array([tag]), derLength(content.length), content);
}

/** Other encodings of one ECDSA signature, some the library takes and some it does not. */
function derVariant(signature: Uint8Array, order: bigint, a: number, bytes: Uint8Array): Uint8Array {
  const integers = derIntegers(signature);
  if (integers === null) return signature;
  const [r, s] = integers;
  const content = concat(derInteger(r), derInteger(s));
  const variants: (() => Uint8Array)[] = [
    () => derSequence(concat(derInteger(r), derInteger(order - s))), // high S
    () => derSequence(content, 0xb0), // a context tag for the SEQUENCE
    () => concat(new Uint8Array([0x30, 0x81, content.length]), content), // long-form length (not shortest below 128)
    () => concat(signature, bytes.length > 0 ? bytes : new Uint8Array([0])), // bytes after the SEQUENCE
    () => concat(new Uint8Array([0x30, 0x80]), content, new Uint8Array([0, 0])), // indefinite length
    () => {
      // r without the zero byte DER needs before a set high bit (a negative number, read as positive).
      const raw = Buffer.from(r.toString(16).padStart(2 * Math.ceil(r.toString(16).length / 2), '0'), 'hex');
      return derSequence(concat(new Uint8Array([0x02, raw.length]), raw, derInteger(s)));
    },
    () => derSequence(concat(derInteger(r, true), derInteger(s))), // an extra leading zero
    () => derSequence(concat(content, derInteger(BigInt(bytes.length)))), // a third INTEGER
    () => derSequence(concat(derInteger(s), derInteger(r))), // r and s swapped
    () => {
      const size = (order.toString(16).length + 1) >> 1;
      return new Uint8Array(Buffer.from(r.toString(16).padStart(2 * size, '0') + s.toString(16).padStart(2 * size, '0'), 'hex')); // raw r ‖ s
    },
    () => derSequence(concat(hex('1f 02'), derInteger(r).subarray(1), derInteger(s))), // a long-form tag for INTEGER
    () => derSequence(concat(new Uint8Array([0x02, 0x81]), derInteger(r).subarray(1), derInteger(s))), // long-form INTEGER length
    () => derSequence(concat(derInteger(r), derInteger(s)), 0x31), // a SET
    () => derSequence(concat(derInteger(r), derInteger(s), hex('30 00'))), // an empty SEQUENCE after s
  ];
  return pick(variants, a)();
}

// ---------------------------------------------------------------------------------------------
// Building and running one case.

interface Plan {
  signer: number;
  mutations: Mutation[];
  uv: boolean;
  backup: number;
  counter: number;
  requireUserVerification: boolean;
  userHandle: boolean;
}

function build(plan: Plan, signers: readonly Signer[], decoy: Uint8Array, challenge: string): VerifyAssertionOptions {
  const signer = signers[plan.signer % signers.length]!;
  const credentialId = b64url(sha256(signer.publicKey).subarray(0, 16));
  const draft: Draft = {
    signer,
    storedKey: signer.publicKey,
    signHash: HASH_OF_ALG.get(signer.cose.get(3)) ?? 'sha256',
    clientData: { type: 'webauthn.get', challenge, origin: pick(ORIGINS, plan.counter), crossOrigin: false },
    clientDataText: null,
    bom: false,
    rpIdHash: sha256(RP_ID),
    // UP, UV as drawn, and the backup flags: BE+BS, BE, none, and (rarely) BS alone.
    flags: 0x01 | (plan.uv ? 0x04 : 0) | pick([0x18, 0x08, 0x00, 0x18, 0x08, 0x00, 0x10], plan.backup),
    counter: plan.counter,
    authDataTail: new Uint8Array(0),
    signatureEdits: [],
    id: credentialId,
    rawId: credentialId,
    credentialType: 'public-key',
    userHandle: plan.userHandle ? b64url(sha256(credentialId)) : null,
    padding: ['', '', ''],
    requireUserVerification: plan.requireUserVerification,
    storedCounter: 0,
    expectedOrigin: ORIGINS,
    expectedRPID: RP_ID,
    expectedTopOrigin: undefined,
  };
  for (const mutation of plan.mutations) applyMutation(draft, mutation, signers, decoy);

  const text = draft.clientDataText ?? JSON.stringify(draft.clientData);
  const clientDataJSON = concat(draft.bom ? hex('ef bb bf') : new Uint8Array(0), new TextEncoder().encode(text));
  const counter = new Uint8Array(4);
  new DataView(counter.buffer).setUint32(0, draft.counter >>> 0);
  const authenticatorData = concat(draft.rpIdHash, new Uint8Array([draft.flags & 0xff]), counter, draft.authDataTail);
  const signedData = concat(authenticatorData, sha256(clientDataJSON));
  let signature = signWith(signer, draft.signHash, signedData);
  for (const edit of draft.signatureEdits) signature = edit(signature, signer);

  const response: AuthenticationResponseJSON = {
    id: draft.id,
    rawId: draft.rawId,
    type: draft.credentialType as 'public-key',
    response: {
      clientDataJSON: b64url(clientDataJSON) + draft.padding[0],
      authenticatorData: b64url(authenticatorData) + draft.padding[1],
      signature: b64url(signature) + draft.padding[2],
      // As browsers send it: null for security keys (the library's type says string | undefined).
      ...(draft.userHandle === undefined ? {} : { userHandle: draft.userHandle as string }),
    },
    clientExtensionResults: {},
  };
  return {
    response,
    expectedChallenge: challenge,
    expectedOrigin: draft.expectedOrigin,
    expectedRPID: draft.expectedRPID,
    ...(draft.expectedTopOrigin === undefined ? {} : { expectedTopOrigin: draft.expectedTopOrigin }),
    credential: { id: credentialId, publicKey: new Uint8Array(draft.storedKey), counter: draft.storedCounter },
    requireUserVerification: draft.requireUserVerification,
  };
}

function signWith(signer: Signer, hash: string, data: Uint8Array): Uint8Array {
  switch (signer.type) {
    case 'EdDSA':
      return new Uint8Array(sign(null, data, signer.privateKey));
    case 'RS256':
      return new Uint8Array(sign(hash, data, signer.privateKey));
    case 'PS256':
      return new Uint8Array(sign(hash, data, { key: signer.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }));
    default:
      return new Uint8Array(sign(hash, data, { key: signer.privateKey, dsaEncoding: 'der' }));
  }
}

type Outcome = { outcome: 'accepted'; info: VerifiedAuthenticationResponse['authenticationInfo'] } | { outcome: 'not verified' } | { outcome: 'thrown' };

async function outcomeOf(verify: () => Promise<VerifiedAuthenticationResponse>): Promise<Outcome> {
  try {
    const result = await verify();
    return result.verified ? { outcome: 'accepted', info: result.authenticationInfo } : { outcome: 'not verified' };
  } catch {
    return { outcome: 'thrown' };
  }
}

/** How often each mutation is drawn, relative to the others (1 where not named): signatures, keys and authenticator data weigh more. */
const WEIGHTS: Partial<Record<Kind, number>> = { signatureBit: 3, derEncoding: 5, otherKey: 2, storedKey: 4, extensions: 3, attestedData: 2, padding: 2, flags: 2 };

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.oneof(...KINDS.map((kind) => ({ arbitrary: fc.constant(kind), weight: WEIGHTS[kind] ?? 1 }))),
  a: fc.nat({ max: 1_000 }),
  b: fc.nat({ max: 1_000 }),
  bytes: fc.uint8Array({ maxLength: 6 }),
});

function planArbitrary(signerCount: number): fc.Arbitrary<Plan> {
  return fc.record({
    signer: fc.nat({ max: signerCount - 1 }),
    // A quarter unmutated (accepted unless a drawn flag or counter says otherwise), the rest with one to three mutations.
    mutations: fc.oneof({ arbitrary: fc.constant<Mutation[]>([]), weight: 1 }, { arbitrary: fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }), weight: 3 }),
    // Mostly with UV, as passkeys sign; a scope requires it half the time.
    uv: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
    backup: fc.nat({ max: 6 }),
    counter: fc.oneof(fc.constant(0), fc.nat({ max: 0xffffffff })),
    requireUserVerification: fc.boolean(),
    userHandle: fc.boolean(),
  });
}

describe('the assertion verifier against verifyAuthenticationResponse', () => {
  let signers: Signer[];
  const decoy = createDecoyPublicKey();
  const challenge = b64url(randomBytes(32));

  beforeAll(async () => {
    // ES256 weighs most (most passkeys), then EdDSA and RS256; the other key types once each.
    const soft = await Promise.all((['ES256', 'ES256', 'ES256', 'EdDSA', 'EdDSA', 'RS256', 'RS256'] as const).map((algorithm) => softSigner(algorithm)));
    signers = [...soft, extraSigner('ES384'), extraSigner('ES512'), extraSigner('PS256')];
  });

  const run = async (seed: number, numRuns: number) => {
    const verifier = createAssertionVerifier({ maxKeys: 64 });
    const tally = { accepted: 0, 'not verified': 0, thrown: 0, schemaRefused: 0 };
    const kinds = new Map<Kind, number>();
    await fc.assert(
      fc.asyncProperty(planArbitrary(signers.length), async (plan) => {
        const options = build(plan, signers, decoy, challenge);
        const expected = await outcomeOf(() => verifyAuthenticationResponse(options));
        const actual = await outcomeOf(() => verifier.verify(options));
        expect(actual).toEqual(expected);
        tally[actual.outcome] += 1;
        if (!authenticationResponseSchema.safeParse(options.response).success) tally.schemaRefused += 1;
        for (const { kind } of plan.mutations) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }),
      {
        seed,
        numRuns,
        endOnFailure: true,
        reporter: (details) => {
          if (details.failed) {
            const reason = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
            throw new Error(`seed ${details.seed}, path ${details.counterexamplePath ?? ''}: ${JSON.stringify(details.counterexample, (_key, value: unknown) => (value instanceof Uint8Array ? b64url(value) : value))}\n${reason}`);
          }
        },
      },
    );
    return { tally, kinds, cachedKeys: verifier.cachedKeys };
  };

  it(`should agree on ${FIXED_RUNS} generated and mutated assertions (fixed seed ${FIXED_SEED})`, async () => {
    const { tally, kinds, cachedKeys } = await run(FIXED_SEED, FIXED_RUNS);
    expect(tally.accepted + tally['not verified'] + tally.thrown).toBe(FIXED_RUNS);
    // Enough of every outcome for the agreement to mean something, and every mutation drawn often.
    expect(tally.accepted).toBeGreaterThan(FIXED_RUNS * 0.15);
    expect(tally['not verified']).toBeGreaterThan(FIXED_RUNS * 0.05);
    expect(tally.thrown).toBeGreaterThan(FIXED_RUNS * 0.2);
    // Most are responses the gateway's schema lets through to the verifier (the rest agree as well).
    expect(tally.schemaRefused).toBeLessThan(FIXED_RUNS * 0.3);
    expect(Math.min(...KINDS.map((kind) => kinds.get(kind) ?? 0))).toBeGreaterThan(FIXED_RUNS / KINDS.length / 4);
    // The LRU stays within its bound however many distinct stored keys went through it.
    expect(cachedKeys).toBeLessThanOrEqual(64);
  }, 120_000);

  it(`should agree on ${RANDOM_RUNS} more with a fresh seed (${RANDOM_SEED}; rerun with ASSERTION_DIFF_SEED)`, async () => {
    const { tally } = await run(RANDOM_SEED, RANDOM_RUNS);
    expect(tally.accepted + tally['not verified'] + tally.thrown).toBe(RANDOM_RUNS);
  }, 60_000);
});
