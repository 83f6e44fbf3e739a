import { constants, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { SettingsService } from '@simplewebauthn/server';
import { cose, decodeCredentialPublicKey, isoBase64URL } from '@simplewebauthn/server/helpers';

type CosePublicKey = ReturnType<typeof decodeCredentialPublicKey>;

/**
 * What checking signatures against one credential public key needs, worked out once per key (the
 * assertion verifier keeps these in its LRU): a node:crypto KeyObject and how to call `verify`
 * with it, or why @simplewebauthn/server would refuse every signature under this key, and at
 * which of its steps ('key': while reading the key, before the backup flags; 'signature': when
 * checking the signature). ML-DSA (COSE kty AKP) keys are left to the library's own `verify`.
 */
export type AssertionKey =
  | { kind: 'refused'; step: 'key' | 'signature'; reason: string }
  | { kind: 'ecdsa'; key: KeyObject; hash: string; componentLength: number; cose: CosePublicKey }
  | { kind: 'rsa'; key: KeyObject; hash: string; padding: number; saltLength: number | undefined }
  | { kind: 'ed25519'; key: KeyObject }
  | { kind: 'library'; cose: CosePublicKey };

// COSE labels (RFC 9053): common, EC2/OKP and RSA parameters.
const KTY = 1;
const ALG = 3;
const CRV = -1;
const X = -2;
const Y = -3;
const N = -1;
const E = -2;
const KTY_OKP = 1;
const KTY_EC2 = 2;
const KTY_RSA = 3;
const KTY_AKP = 7;
const CRV_ED25519 = 6;

/** EC2 curves the library verifies: JWK name and the byte length of r and s. */
const EC2_CURVES = new Map<unknown, { name: string; componentLength: number }>([
  [1, { name: 'P-256', componentLength: 32 }],
  [2, { name: 'P-384', componentLength: 48 }],
  [3, { name: 'P-521', componentLength: 66 }],
]);
/** The library's COSE alg → WebCrypto hash mapping, as node:crypto digest names. */
const HASHES = new Map<number, string>([
  [-65535, 'sha1'],
  ...[-7, -37, -257].map((alg) => [alg, 'sha256'] as const),
  ...[-35, -38, -258].map((alg) => [alg, 'sha384'] as const),
  ...[-36, -39, -259, -8].map((alg) => [alg, 'sha512'] as const),
]);
const RSA_PKCS1_ALGS = new Set([-257, -258, -259, -65535]);
/** RSA-PSS algs; the library verifies with a salt as long as the hash. */
const RSA_PSS_SALT = new Map<number, number>([
  [-37, 32],
  [-38, 48],
  [-39, 64],
]);

/**
 * Reads a stored COSE public key the way @simplewebauthn/server 14 does in
 * verifyAuthenticationResponse and its verifySignature/isoCrypto.verify (same decoder, same checks
 * in the same order, the same JWK), and imports it with node:crypto's createPublicKey instead of
 * WebCrypto's importKey (one OpenSSL import: the same keys load and the same ones fail).
 */
export function prepareAssertionKey(publicKey: Uint8Array): AssertionKey {
  let decoded: CosePublicKey;
  try {
    decoded = decodeCredentialPublicKey(publicKey as Parameters<typeof decodeCredentialPublicKey>[0]);
  } catch (error) {
    return refused('key', error);
  }
  // The library reads the key's alg with Map#get: anything but a map fails there.
  if (!(decoded instanceof Map)) return { kind: 'refused', step: 'key', reason: 'credential public key is not a COSE map' };
  const fields = decoded as Map<unknown, unknown>;
  const alg = fields.get(ALG);
  if (typeof alg !== 'number') return { kind: 'refused', step: 'key', reason: 'Credential public key was missing numeric alg' };
  if (cose.isPQCCOSEAlg(alg) && !SettingsService.runtimeSupportsPQC()) {
    return { kind: 'refused', step: 'key', reason: `ML-DSA alg ${alg} is not supported by this runtime` };
  }
  try {
    return signatureKey(decoded, fields, alg);
  } catch (error) {
    return refused('signature', error);
  }
}

/** isoCrypto.verify's dispatch on kty; each branch throws where the library's does. */
function signatureKey(decoded: CosePublicKey, fields: Map<unknown, unknown>, alg: number): AssertionKey {
  const kty = fields.get(KTY);
  if (kty === KTY_EC2) return ec2Key(decoded, fields, alg);
  if (kty === KTY_RSA) return rsaKey(fields, alg);
  if (kty === KTY_OKP) return okpKey(fields, alg);
  if (kty === KTY_AKP) return { kind: 'library', cose: decoded };
  throw new Error(`Signature verification with public key of kty ${String(kty)} is not supported by this method`);
}

/** isoCrypto.verify (curve known) and verifyEC2 (alg, crv, x, y present; P-256/384/521; the hash from alg). */
function ec2Key(decoded: CosePublicKey, fields: Map<unknown, unknown>, alg: number): AssertionKey {
  const crv = fields.get(CRV);
  if (!cose.isCOSECrv(crv as number)) throw new Error(`unknown COSE curve ${String(crv)}`);
  // Ed25519 and secp256k1 are COSE curves too; unwrapEC2Signature has no component length for them.
  const curve = EC2_CURVES.get(crv);
  if (curve === undefined) throw new Error(`Unexpected COSE crv value of ${String(crv)} (EC2)`);
  const x = fields.get(X);
  const y = fields.get(Y);
  if (!alg) throw new Error('Public key was missing alg (EC2)');
  if (!x) throw new Error('Public key was missing x (EC2)');
  if (!y) throw new Error('Public key was missing y (EC2)');
  const key = importJwk({ kty: 'EC', crv: curve.name, x: base64url(x), y: base64url(y) });
  return { kind: 'ecdsa', key, hash: hashOf(alg), componentLength: curve.componentLength, cose: decoded };
}

/** verifyRSA: alg a COSE alg, n and e present; PKCS#1 v1.5 or PSS by alg, the hash from alg. */
function rsaKey(fields: Map<unknown, unknown>, alg: number): AssertionKey {
  const n = fields.get(N);
  const e = fields.get(E);
  if (!alg) throw new Error('Public key was missing alg (RSA)');
  if (!cose.isCOSEAlg(alg)) throw new Error(`Public key had invalid alg ${alg} (RSA)`);
  if (!n) throw new Error('Public key was missing n (RSA)');
  if (!e) throw new Error('Public key was missing e (RSA)');
  const hash = hashOf(alg);
  const saltLength = RSA_PSS_SALT.get(alg);
  if (!RSA_PKCS1_ALGS.has(alg) && saltLength === undefined) throw new Error(`Unexpected RSA key algorithm ${alg}`);
  const key = importJwk({ kty: 'RSA', n: base64url(n), e: base64url(e) });
  if (saltLength === undefined) return { kind: 'rsa', key, hash, padding: constants.RSA_PKCS1_PADDING, saltLength };
  // RSA-PSS needs room for the hash and the salt (both saltLength bytes here) and two more bytes;
  // WebCrypto throws for a key too short for that, where node:crypto's verify would answer false.
  const encodedLength = Math.ceil(((key.asymmetricKeyDetails?.modulusLength ?? 0) - 1) / 8);
  if (encodedLength < 2 * saltLength + 2) throw new Error(`RSA-PSS key too short for a ${saltLength}-byte salt`);
  return { kind: 'rsa', key, hash, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
}

/** verifyOKP: alg a COSE alg (any: Ed25519 has its own hash), crv Ed25519, x present. */
function okpKey(fields: Map<unknown, unknown>, alg: number): AssertionKey {
  const crv = fields.get(CRV);
  const x = fields.get(X);
  if (!alg) throw new Error('Public key was missing alg (OKP)');
  if (!cose.isCOSEAlg(alg)) throw new Error(`Public key had invalid alg ${alg} (OKP)`);
  if (!crv) throw new Error('Public key was missing crv (OKP)');
  if (!x) throw new Error('Public key was missing x (OKP)');
  if (crv !== CRV_ED25519) throw new Error(`Unexpected COSE crv value of ${typeof crv === 'number' ? crv : typeof crv} (OKP)`);
  return { kind: 'ed25519', key: importJwk({ kty: 'OKP', crv: 'Ed25519', x: base64url(x) }) };
}

/** mapCoseAlgToWebCryptoHashAlgName, which throws for algs it has no hash for. */
function hashOf(alg: number): string {
  const hash = HASHES.get(alg);
  if (hash === undefined) throw new Error(`Could not map COSE alg value of ${alg} to a WebCrypto hash alg name`);
  return hash;
}

/**
 * A coordinate as the library puts it in its JWK: through isoBase64URL.fromBuffer, which makes a
 * Uint8Array of whatever the COSE map holds (a byte string, as registration stores them).
 */
function base64url(value: unknown): string {
  return isoBase64URL.fromBuffer(value as Parameters<typeof isoBase64URL.fromBuffer>[0]);
}

function importJwk(jwk: JsonWebKey): KeyObject {
  return createPublicKey({ key: jwk, format: 'jwk' });
}

function refused(step: 'key' | 'signature', error: unknown): AssertionKey {
  return { kind: 'refused', step, reason: error instanceof Error ? error.message : 'credential public key could not be read' };
}
