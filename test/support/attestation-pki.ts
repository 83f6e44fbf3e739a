/**
 * A throwaway PKI for attestation tests, with no network: roots, intermediates and attestation
 * certificates made with @peculiar/x509 over WebCrypto, and FIDO MDS3 BLOBs signed with jose the
 * way the FIDO Alliance signs theirs (a compact JWS whose x5c header carries the signer's chain).
 */
import 'reflect-metadata';
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CompactSign } from 'jose';
import type { SoftAttestationCertificate } from '../../scripts/lib/soft-authenticator.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
/** The FIDO extension naming the authenticator model in an attestation certificate (id-fido-gen-ce-aaguid). */
const AAGUID_EXTENSION = '1.3.6.1.4.1.45724.1.1.4';

export interface Issued {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
  der: Uint8Array;
  pem: string;
}

interface Validity {
  notBefore?: Date;
  notAfter?: Date;
}

async function issue(subject: string, issuer: Issued | null, ca: boolean, extensions: x509.Extension[], validity: Validity): Promise<Issued> {
  x509.cryptoProvider.set(webcrypto);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const common = {
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    notBefore: validity.notBefore ?? new Date(Date.now() - DAY),
    notAfter: validity.notAfter ?? new Date(Date.now() + 365 * DAY),
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(ca, undefined, true),
      new x509.KeyUsagesExtension(ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ...(issuer === null ? [] : [await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey)]),
      ...extensions,
    ],
  };
  const cert =
    issuer === null
      ? await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: subject, keys })
      : await x509.X509CertificateGenerator.create({ ...common, subject, issuer: issuer.cert.subject, publicKey: keys.publicKey, signingKey: issuer.keys.privateKey });
  return { cert, keys, der: new Uint8Array(cert.rawData), pem: cert.toString('pem') };
}

/** A root CA (issuer null) or an intermediate under `issuer`. */
export function certificateAuthority(name: string, issuer: Issued | null = null, validity: Validity = {}): Promise<Issued> {
  return issue(`CN=${name}, O=Test PKI, C=US`, issuer, true, [], validity);
}

/** An end-entity certificate: the BLOB signer, or (with `aaguid`) an authenticator's attestation certificate. */
export function leafCertificate(name: string, issuer: Issued, options: { aaguid?: string } & Validity = {}): Promise<Issued> {
  const extensions = [];
  if (options.aaguid !== undefined) {
    // extnValue: an OCTET STRING holding the 16 AAGUID bytes.
    extensions.push(new x509.Extension(AAGUID_EXTENSION, false, Buffer.concat([Buffer.from([0x04, 0x10]), Buffer.from(options.aaguid.replaceAll('-', ''), 'hex')])));
  }
  // Packed attestation wants OU "Authenticator Attestation" and a two-letter country.
  return issue(`CN=${name}, OU=Authenticator Attestation, O=Test Authenticators, C=US`, issuer, false, extensions, options);
}

/** What a `packed-full` SoftAuthenticator signs with: the leaf's key and the chain leaf first (the root left out, as authenticators do). */
export function attestationCertificate(leaf: Issued, intermediates: Issued[] = []): SoftAttestationCertificate {
  return { privateKey: KeyObject.from(leaf.keys.privateKey), x5c: [leaf.der, ...intermediates.map((ca) => ca.der)] };
}

/** The AAGUID as SoftAuthenticator takes it. */
export const aaguidBytes = (aaguid: string) => new Uint8Array(Buffer.from(aaguid.replaceAll('-', ''), 'hex'));

export interface ModelOptions {
  statusReports?: { status: string; effectiveDate?: string }[];
  attestationTypes?: string[];
}

/** One BLOB entry for an authenticator model whose attestation chains to `roots`. */
export function modelEntry(aaguid: string, roots: Issued[], options: ModelOptions = {}): Record<string, unknown> {
  return {
    aaguid,
    metadataStatement: {
      aaguid,
      description: `Test authenticator ${aaguid.slice(0, 8)}`,
      schema: 3,
      attestationTypes: options.attestationTypes ?? ['basic_full'],
      attestationRootCertificates: roots.map((root) => Buffer.from(root.der).toString('base64')),
      authenticationAlgorithms: ['secp256r1_ecdsa_sha256_raw'],
    },
    statusReports: options.statusReports ?? [{ status: 'FIDO_CERTIFIED_L1', effectiveDate: '2024-01-01' }],
    timeOfLastStatusChange: '2024-01-01',
  };
}

/** `YYYY-MM-DD`, `days` from today (UTC). */
export const dateInDays = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

/** A BLOB as the FIDO MDS3 serves it: ES256 compact JWS, its x5c the signer's chain (leaf first, no root). */
export async function signBlob(payload: { no: number; nextUpdate: string; entries: unknown[] }, signer: Issued, intermediates: Issued[]): Promise<string> {
  const body = new TextEncoder().encode(JSON.stringify({ legalHeader: 'Test metadata, not for use', ...payload }));
  const x5c = [signer, ...intermediates].map((issued) => Buffer.from(issued.der).toString('base64'));
  return new CompactSign(body).setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c }).sign(signer.keys.privateKey);
}
