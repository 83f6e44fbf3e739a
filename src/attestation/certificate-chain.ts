import { X509Certificate } from 'node:crypto';

/** Longer chains are not what attestation or the metadata BLOB carry: refused before any work. */
const MAX_CHAIN = 5;

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
 * one of `anchors`, every certificate on the way valid at `at`. Checked with node:crypto's X.509
 * (OpenSSL): the issuer's name and key identifiers match and, where the issuer says how its key may
 * be used, that it signs certificates (checkIssued); the issuer is a CA; its key verifies the
 * signature. A chain may end at an anchor itself, as a one-certificate x5c that the metadata names
 * does. Revocation lists are not fetched: the gateway needs no network at run time, and
 * authenticators' revocation comes from the metadata's status reports.
 */
export function chainsToAnchor(chain: readonly X509Certificate[], anchors: readonly X509Certificate[], at: Date): boolean {
  if (chain.length === 0 || chain.length > MAX_CHAIN) return false;
  const validAt = (cert: X509Certificate) => new Date(cert.validFrom) <= at && at <= new Date(cert.validTo);
  const issued = (subject: X509Certificate, issuer: X509Certificate) => issuer.ca && subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  const isAnchor = (cert: X509Certificate) => anchors.some((anchor) => anchor.fingerprint256 === cert.fingerprint256);
  for (let i = 0; i < chain.length; i += 1) {
    const cert = chain[i]!;
    if (!validAt(cert)) return false;
    if (isAnchor(cert)) return true;
    const issuer = chain[i + 1];
    if (issuer === undefined) return anchors.some((anchor) => validAt(anchor) && issued(cert, anchor));
    if (!issued(cert, issuer)) return false;
  }
  return false;
}
