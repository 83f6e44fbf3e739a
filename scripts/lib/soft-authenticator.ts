/**
 * A software WebAuthn authenticator + client for tests and benchmarks.
 *
 * It plays both the authenticator (keys, authenticatorData, signatures, attestation) and the
 * browser (clientDataJSON, `PublicKeyCredential.toJSON()`), so its output is exactly the JSON a
 * browser hands to the app: base64url without padding, key order as Chromium emits it.
 *
 * Keys come from @noble/curves (never node's generateKeyPairSync('ec') + JWK export, which
 * deadlocks Node 20 when run in loops); RS256 keys (RSA-2048, PKCS#1 v1.5) from node:crypto.
 * CBOR via @levischuck/tiny-cbor.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { encodeCBOR, type CBORType } from '@levischuck/tiny-cbor';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

export type SoftAlgorithm = 'ES256' | 'EdDSA' | 'RS256';
export type SoftAttestation = 'none' | 'packed-self' | 'packed-full';

/** The attestation key and certificate chain (leaf first, DER) a `packed-full` authenticator signs its statements with. */
export interface SoftAttestationCertificate {
  /** An ES256 (P-256) private key, as node:crypto holds it. */
  privateKey: KeyObject;
  x5c: Uint8Array[];
}

export interface SoftAuthenticatorOptions {
  algorithm: SoftAlgorithm;
  attestation: SoftAttestation;
  /** Sets the UV flag. Default true. The authenticator does not refuse when the RP requires UV. */
  userVerification?: boolean;
  /** Discoverable credentials: usable with empty allowCredentials, and assertions carry userHandle. Default true. */
  residentKey?: boolean;
  /** Default ['internal'] for platform, ['usb'] for cross-platform. */
  transports?: string[];
  /** Default 'platform'. */
  attachment?: 'platform' | 'cross-platform';
  /** 16 bytes, default zeros. */
  aaguid?: Uint8Array;
  backupEligible?: boolean;
  backedUp?: boolean;
  /** Added to the signature counter on every assertion. Default 1; 0 keeps the counter at 0. */
  counterStep?: number;
  /** Length of generated credential ids in bytes (>= 16). Default 32. */
  credentialIdLength?: number;
  /** For `packed-full`: the attestation key and its certificates. */
  attestationCertificate?: SoftAttestationCertificate;
}

/** Per-call knobs for producing deliberately bad (or unusual) responses. */
export interface CeremonyOverrides {
  /** Replace fields of clientData; `extra` adds keys after the standard ones. */
  clientData?: {
    type?: string;
    challenge?: string;
    origin?: string;
    crossOrigin?: boolean;
    extra?: Record<string, unknown>;
  };
  /** Hash this RP id into authenticatorData instead of the real one. */
  rpIdHashOf?: string;
  /** Force the UV flag for this call. */
  userVerified?: boolean;
  /** Force the UP flag for this call (default true). */
  userPresent?: boolean;
  /** Force the backup-eligible (BE) flag for this call, e.g. a passkey a provider has since synced. */
  backupEligible?: boolean;
  /** Force the backed-up (BS) flag for this call. */
  backedUp?: boolean;
  /** Assertion only: use (and store) this counter value instead of counter + counterStep. */
  counter?: number;
  /** Flip a bit in the signature (attestation sig for packed-self on create). */
  corruptSignature?: boolean;
  /** Assertion only: report this userHandle instead of the stored one. */
  userHandle?: string | null;
  /** Assertion: use this credential (by id) regardless of allowCredentials. Creation: give the new credential this id. */
  credentialId?: string;
}

export interface SoftCredential {
  /** base64url credential id */
  id: string;
  rawId: Uint8Array;
  algorithm: SoftAlgorithm;
  /** The private key: the scalar (ES256), the seed (EdDSA), or PKCS#8 DER (RS256). */
  secretKey: Uint8Array;
  /** COSE-encoded public key */
  cosePublicKey: Uint8Array;
  rpId: string;
  /** base64url user handle (options.user.id) */
  userHandle: string;
  counter: number;
  discoverable: boolean;
}

/** Error with a DOMException-like `name` (NotAllowedError, InvalidStateError, NotSupportedError). */
export class SoftAuthenticatorError extends Error {
  constructor(
    public override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

const COSE_ALG: Record<SoftAlgorithm, number> = { ES256: -7, EdDSA: -8, RS256: -257 };

const ZERO_AAGUID = new Uint8Array(16);

export const b64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
export const fromB64url = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64url'));

const sha256 = (data: Uint8Array | string): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());

function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, false);
  return out;
}

function generateKey(algorithm: SoftAlgorithm): { secretKey: Uint8Array; cosePublicKey: Uint8Array } {
  if (algorithm === 'ES256') {
    const secretKey = p256.utils.randomSecretKey();
    const pub = p256.getPublicKey(secretKey, false); // 0x04 ‖ x ‖ y
    const cose = new Map<number, CBORType>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, pub.slice(1, 33)],
      [-3, pub.slice(33, 65)],
    ]);
    return { secretKey, cosePublicKey: encodeCBOR(cose) };
  }
  if (algorithm === 'RS256') {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = new Map<number, CBORType>([
      [1, 3],
      [3, -257],
      [-1, new Uint8Array(Buffer.from(jwk.n ?? '', 'base64url'))],
      [-2, new Uint8Array(Buffer.from(jwk.e ?? '', 'base64url'))],
    ]);
    return { secretKey: new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })), cosePublicKey: encodeCBOR(cose) };
  }
  const secretKey = ed25519.utils.randomSecretKey();
  const pub = ed25519.getPublicKey(secretKey);
  const cose = new Map<number, CBORType>([
    [1, 1],
    [3, -8],
    [-1, 6],
    [-2, pub],
  ]);
  return { secretKey, cosePublicKey: encodeCBOR(cose) };
}

/** ES256: ASN.1 DER over sha256(message) (noble prehashes once). EdDSA: raw message. RS256: PKCS#1 v1.5 over sha256. */
function signWith(algorithm: SoftAlgorithm, secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  if (algorithm === 'ES256') return p256.sign(message, secretKey, { format: 'der', prehash: true });
  if (algorithm === 'RS256') return new Uint8Array(sign('sha256', message, createPrivateKey({ key: Buffer.from(secretKey), format: 'der', type: 'pkcs8' })));
  return ed25519.sign(message, secretKey);
}

function corrupt(sig: Uint8Array): Uint8Array {
  const out = sig.slice();
  const i = out.length - 1;
  out[i] = (out[i] ?? 0) ^ 0x01;
  return out;
}

export class SoftAuthenticator {
  readonly algorithm: SoftAlgorithm;
  readonly attestation: SoftAttestation;
  readonly userVerification: boolean;
  readonly residentKey: boolean;
  readonly transports: string[];
  readonly attachment: 'platform' | 'cross-platform';
  readonly aaguid: Uint8Array;
  readonly backupEligible: boolean;
  readonly backedUp: boolean;
  readonly counterStep: number;
  readonly credentialIdLength: number;
  readonly attestationCertificate: SoftAttestationCertificate | undefined;
  private readonly creds: SoftCredential[] = [];

  constructor(opts: SoftAuthenticatorOptions) {
    this.algorithm = opts.algorithm;
    this.attestation = opts.attestation;
    this.userVerification = opts.userVerification ?? true;
    this.residentKey = opts.residentKey ?? true;
    this.attachment = opts.attachment ?? 'platform';
    this.transports = opts.transports ?? (this.attachment === 'platform' ? ['internal'] : ['usb']);
    this.aaguid = opts.aaguid ?? ZERO_AAGUID;
    if (this.aaguid.length !== 16) throw new Error('aaguid must be 16 bytes');
    this.backedUp = opts.backedUp ?? false;
    this.backupEligible = opts.backupEligible ?? this.backedUp;
    this.counterStep = opts.counterStep ?? 1;
    this.credentialIdLength = Math.max(16, opts.credentialIdLength ?? 32);
    this.attestationCertificate = opts.attestationCertificate;
    if (this.attestation === 'packed-full' && this.attestationCertificate === undefined) throw new Error('packed-full attestation needs an attestationCertificate');
  }

  /** Credentials created so far (live records: counters update in place). */
  get credentials(): readonly SoftCredential[] {
    return this.creds;
  }

  getCredential(id: string): SoftCredential | undefined {
    return this.creds.find((c) => c.id === id);
  }

  /** navigator.credentials.create({publicKey: options}) followed by .toJSON(). */
  createCredential(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin: string,
    overrides: CeremonyOverrides = {},
  ): RegistrationResponseJSON {
    const alg = COSE_ALG[this.algorithm];
    if (!options.pubKeyCredParams?.some((p) => p.type === 'public-key' && p.alg === alg)) {
      throw new SoftAuthenticatorError('NotSupportedError', `algorithm ${this.algorithm} (${alg}) not in pubKeyCredParams`);
    }
    const rpId = options.rp.id ?? new URL(origin).hostname;
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (this.creds.some((c) => c.rpId === rpId && excluded.has(c.id))) {
      throw new SoftAuthenticatorError('InvalidStateError', 'a credential in excludeCredentials is present on this authenticator');
    }

    const rawId = overrides.credentialId !== undefined ? fromB64url(overrides.credentialId) : new Uint8Array(randomBytes(this.credentialIdLength));
    const { secretKey, cosePublicKey } = generateKey(this.algorithm);
    const cred: SoftCredential = {
      id: b64url(rawId),
      rawId,
      algorithm: this.algorithm,
      secretKey,
      cosePublicKey,
      rpId,
      userHandle: options.user.id,
      counter: 0,
      discoverable: this.residentKey,
    };

    const clientDataJSON = this.clientData('webauthn.create', options.challenge, origin, overrides);
    const idLen = new Uint8Array([rawId.length >> 8, rawId.length & 0xff]);
    const authData = concat(
      sha256(overrides.rpIdHashOf ?? rpId),
      new Uint8Array([this.flags(overrides) | FLAG_AT]),
      u32be(cred.counter),
      this.aaguid,
      idLen,
      rawId,
      cosePublicKey,
    );

    let fmt: string;
    let attStmt: Map<string, CBORType>;
    if (this.attestation === 'packed-self') {
      let sig = signWith(this.algorithm, secretKey, concat(authData, sha256(clientDataJSON)));
      if (overrides.corruptSignature) sig = corrupt(sig);
      fmt = 'packed';
      attStmt = new Map<string, CBORType>([
        ['alg', alg],
        ['sig', sig],
      ]);
    } else if (this.attestation === 'packed-full' && this.attestationCertificate !== undefined) {
      // Full (basic) attestation: the attestation key signs, its certificate chain goes along in x5c.
      let sig: Uint8Array = new Uint8Array(sign('sha256', concat(authData, sha256(clientDataJSON)), { key: this.attestationCertificate.privateKey, dsaEncoding: 'der' }));
      if (overrides.corruptSignature) sig = corrupt(sig);
      fmt = 'packed';
      attStmt = new Map<string, CBORType>([
        ['alg', -7],
        ['sig', sig],
        ['x5c', this.attestationCertificate.x5c],
      ]);
    } else {
      fmt = 'none';
      attStmt = new Map();
    }
    const attestationObject = encodeCBOR(
      new Map<string, CBORType>([
        ['fmt', fmt],
        ['attStmt', attStmt],
        ['authData', authData],
      ]),
    );

    this.creds.push(cred);
    return {
      id: cred.id,
      rawId: cred.id,
      type: 'public-key',
      authenticatorAttachment: this.attachment,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: [...this.transports],
      },
      // As Chromium answers the credProps extension the options ask for.
      clientExtensionResults: options.extensions?.credProps === true ? { credProps: { rk: this.residentKey } } : {},
    };
  }

  /** navigator.credentials.get({publicKey: options}) followed by .toJSON(). */
  getAssertion(
    options: PublicKeyCredentialRequestOptionsJSON,
    origin: string,
    overrides: CeremonyOverrides = {},
  ): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(origin).hostname;
    let cred: SoftCredential | undefined;
    if (overrides.credentialId !== undefined) {
      cred = this.getCredential(overrides.credentialId);
    } else {
      const allow = options.allowCredentials ?? [];
      if (allow.length > 0) {
        const ids = new Set(allow.map((c) => c.id));
        cred = this.creds.find((c) => c.rpId === rpId && ids.has(c.id));
      } else {
        // Most recently created discoverable credential, as a one-account picker would offer.
        for (let i = this.creds.length - 1; i >= 0 && !cred; i--) {
          const c = this.creds[i];
          if (c && c.rpId === rpId && c.discoverable) cred = c;
        }
      }
    }
    if (!cred) throw new SoftAuthenticatorError('NotAllowedError', `no matching credential for rpId ${rpId}`);

    cred.counter = overrides.counter ?? cred.counter + this.counterStep;
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, origin, overrides);
    const authData = concat(sha256(overrides.rpIdHashOf ?? rpId), new Uint8Array([this.flags(overrides)]), u32be(cred.counter));
    let signature = signWith(cred.algorithm, cred.secretKey, concat(authData, sha256(clientDataJSON)));
    if (overrides.corruptSignature) signature = corrupt(signature);

    const userHandle =
      overrides.userHandle !== undefined ? overrides.userHandle : this.residentKey ? cred.userHandle : null;
    return {
      id: cred.id,
      rawId: cred.id,
      type: 'public-key',
      authenticatorAttachment: this.attachment,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        // Browsers' toJSON() always carries the key, null when absent (the simplewebauthn type
        // says `string | undefined`; at runtime this may be null, as from a real browser).
        userHandle: userHandle as string,
      },
      clientExtensionResults: {},
    };
  }

  private flags(o: CeremonyOverrides): number {
    let f = 0;
    if (o.userPresent ?? true) f |= FLAG_UP;
    if (o.userVerified ?? this.userVerification) f |= FLAG_UV;
    if (o.backupEligible ?? this.backupEligible) f |= FLAG_BE;
    if (o.backedUp ?? this.backedUp) f |= FLAG_BS;
    return f;
  }

  private clientData(type: string, challenge: string, origin: string, o: CeremonyOverrides): Uint8Array {
    const cd = o.clientData ?? {};
    const json = JSON.stringify({
      type: cd.type ?? type,
      challenge: cd.challenge ?? challenge,
      origin: cd.origin ?? origin,
      crossOrigin: cd.crossOrigin ?? false,
      ...cd.extra,
    });
    return new TextEncoder().encode(json);
  }
}
