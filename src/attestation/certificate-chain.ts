import { X509Certificate } from 'node:crypto';
import { getCertificateInfo } from '@simplewebauthn/server/helpers';

/** Longer chains are not what attestation or the metadata BLOB carry: refused before any work. */
const MAX_CHAIN = 5;
/** id-fido-gen-ce-aaguid: the authenticator model (AAGUID) an attestation certificate was issued for. */
const FIDO_AAGUID_EXTENSION = '1.3.6.1.4.1.45724.1.1.4';
/** id-ce-keyUsage. */
const KEY_USAGE_EXTENSION = '2.5.29.15';

/** DER certificates (as x5c carries them) parsed; null when any does not parse. */
export function parseCertificates(ders: readonly Uint8Array[]): X509Certificate[] | null {
  try {
    return ders.map((der) => new X509Certificate(der));
  } catch {
    return null;
  }
}

/** PEM text holding one or more certificates, parsed (an empty list when it holds none). */
export function parsePemCertificates(pem: string): X509Certificate[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map(([block]) => new X509Certificate(block));
}

/**
 * Whether `chain` (leaf first, each certificate issued by the next, as x5c orders them) leads to
 * one of `anchors`, every certificate on the way valid at `at` (see anchorsReached).
 */
export function chainsToAnchor(chain: readonly X509Certificate[], anchors: readonly X509Certificate[], at: Date): boolean {
  return anchorsReached(chain, anchors, at).length > 0;
}

/**
 * Every one of `anchors` that `chain` (leaf first, each certificate issued by the next, as x5c
 * orders them) leads to, every certificate on the way valid at `at`: the chain's own certificates
 * that are anchors, and the anchors that issued its last one. Checked with node:crypto's X.509
 * (OpenSSL): the issuer's name and key identifiers match and, where the issuer says how its key
 * may be used, that it signs certificates (checkIssued); the issuer is a CA; its key verifies the
 * signature. A chain may end at an anchor itself, as a one-certificate x5c that the metadata names
 * does. Revocation lists are not fetched: the gateway needs no network at run time, and
 * authenticators' revocation comes from the metadata's status reports.
 */
export function anchorsReached(chain: readonly X509Certificate[], anchors: readonly X509Certificate[], at: Date): X509Certificate[] {
  if (chain.length === 0 || chain.length > MAX_CHAIN) return [];
  const validAt = (cert: X509Certificate) => new Date(cert.validFrom) <= at && at <= new Date(cert.validTo);
  const issued = (subject: X509Certificate, issuer: X509Certificate) => issuer.ca && subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  const reached = new Map<string, X509Certificate>();
  for (let i = 0; i < chain.length; i += 1) {
    const cert = chain[i]!;
    if (!validAt(cert)) break;
    // Not the end of the walk: an anchor further up may be some other model's root, which the caller needs to know.
    for (const anchor of anchors) if (anchor.fingerprint256 === cert.fingerprint256) reached.set(anchor.fingerprint256, anchor);
    const issuer = chain[i + 1];
    if (issuer === undefined) {
      // The issuer check first: it rules out all but a few of a whole BLOB's roots by name, cheaper than reading validity.
      for (const anchor of anchors) if (issued(cert, anchor) && validAt(anchor)) reached.set(anchor.fingerprint256, anchor);
      break;
    }
    if (!issued(cert, issuer)) break;
  }
  return [...reached.values()];
}

/**
 * The AAGUIDs (lower-case, hyphenated) a certificate's id-fido-gen-ce-aaguid extension names: none
 * when it has no such extension; null when the certificate or the extension does not parse (an
 * OCTET STRING of 16 bytes, DER), which callers refuse.
 */
export function certificateAaguids(cert: X509Certificate): string[] | null {
  const values = extensionValues(cert, FIDO_AAGUID_EXTENSION);
  if (values === null) return null;
  const aaguids: string[] = [];
  for (const value of values) {
    if (value.length !== 18 || value[0] !== 0x04 || value[1] !== 0x10) return null;
    const hex = Buffer.from(value.subarray(2)).toString('hex');
    aaguids.push(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
  }
  return aaguids;
}

/**
 * Whether a certificate's key may sign data other than certificates: it has no key usage extension,
 * or one with digitalSignature. False when the certificate or the extension does not parse.
 */
export function allowsDigitalSignature(cert: X509Certificate): boolean {
  const values = extensionValues(cert, KEY_USAGE_EXTENSION);
  if (values === null || values.length > 1) return false;
  const [value] = values;
  if (value === undefined) return true;
  // KeyUsage ::= BIT STRING, DER: 03, a short length, the unused-bit count, the bits; digitalSignature is bit 0 (0x80 of the first byte).
  return value.length >= 4 && value[0] === 0x03 && value[1] === value.length - 2 && value[2]! < 8 && (value[3]! & 0x80) !== 0;
}

/** The DER values (extnValue contents) of a certificate's extensions with `oid`, or null when it does not parse. */
function extensionValues(cert: X509Certificate, oid: string): Uint8Array[] | null {
  try {
    const extensions = getCertificateInfo(new Uint8Array(cert.raw)).parsedCertificate.tbsCertificate.extensions ?? [];
    return extensions
      .filter((extension) => extension.extnID === oid)
      .map(({ extnValue }) => new Uint8Array(extnValue.buffer, extnValue.byteOffset, extnValue.byteLength).slice());
  } catch {
    return null;
  }
}
