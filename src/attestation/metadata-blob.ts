import { X509Certificate } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importX509 } from 'jose';
import { z } from 'zod';
import { allowsDigitalSignature, chainsToAnchor, parseCertificates } from './certificate-chain.js';

/** JWS algorithms a FIDO MDS3 BLOB is signed with; anything else is refused before any key is imported. */
const BLOB_ALGORITHMS = ['RS256', 'ES256', 'ES384', 'ES512', 'PS256'];
const DAY_MS = 24 * 3600 * 1000;

/** Status reports under which an authenticator model is no longer trusted (FIDO MDS3 AuthenticatorStatus). */
const DISTRUSTED_STATUSES: ReadonlySet<string> = new Set([
  'REVOKED',
  'ATTESTATION_KEY_COMPROMISE',
  'USER_VERIFICATION_BYPASS',
  'USER_KEY_REMOTE_COMPROMISE',
  'USER_KEY_PHYSICAL_COMPROMISE',
]);

// Only what trust decisions read; the BLOB carries much more, which is let through unread.
const entrySchema = z.looseObject({
  aaguid: z.string().optional(),
  metadataStatement: z
    .looseObject({
      description: z.string().optional(),
      attestationTypes: z.array(z.string()).default([]),
      attestationRootCertificates: z.array(z.string()).default([]),
    })
    .optional(),
  // `certificate`: base64 DER of the certificate a report concerns (for a key compromise, the batch whose key leaked).
  statusReports: z.array(z.looseObject({ status: z.string(), certificate: z.string().optional() })).default([]),
});
const payloadSchema = z.looseObject({
  no: z.number().int(),
  nextUpdate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  entries: z.array(entrySchema),
});

/** One authenticator model of the BLOB, by AAGUID. */
export interface AuthenticatorModel {
  aaguid: string;
  description: string | null;
  /** The attestation types it produces (basic_full, attca, …). */
  attestationTypes: readonly string[];
  /** The roots its attestation certificates chain to. */
  roots: readonly X509Certificate[];
  /** The first of its status reports that withdraws trust (REVOKED, a compromise), or null. */
  distrust: string | null;
}

export interface MetadataBlob {
  /** The BLOB's serial number: a later BLOB has a greater one. */
  no: number;
  nextUpdate: string;
  /** When it is out of date: the end of its nextUpdate day (UTC), by which a newer BLOB is due. Always a finite number. */
  expiresAt: number;
  models: ReadonlyMap<string, AuthenticatorModel>;
  /** Every root any entry lists (entries without an AAGUID included), each once. */
  roots: readonly X509Certificate[];
  /**
   * By a root's SHA-256 fingerprint (as X509Certificate.fingerprint256 writes it), the entries that
   * list it: their AAGUID, or for an entry without one (U2F keys) a label that is never an AAGUID.
   */
  entriesByRoot: ReadonlyMap<string, readonly string[]>;
  /** SHA-256 fingerprints of the certificates ATTESTATION_KEY_COMPROMISE reports name: no chain through one is trusted. */
  compromisedCertificates: ReadonlySet<string>;
}

/** Where the BLOB's signature must come from. */
export interface MetadataTrust {
  /** The roots its x5c chain must lead to (the FIDO root). */
  roots: readonly X509Certificate[];
  /** The name (subject CN or DNS SAN) of the end-entity certificate that signs it: mds.fidoalliance.org for the real BLOB (MDS_SIGNER_NAME). */
  signerName: string;
}

/** Why a BLOB was not taken: the message is for the operator's log. */
export class MetadataBlobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MetadataBlobError';
  }
}

/**
 * Verifies a FIDO Metadata Service (MDS3) BLOB and reads the authenticator models in it: the JWS's
 * x5c chain must lead to one of `trust.roots` (the FIDO root) with every certificate valid at `at`,
 * its first certificate must be the metadata service's own signing certificate (see
 * checkSigner), its key must verify the signature (jose), and the payload must have the MDS3 shape
 * with a nextUpdate that is a real date. Whether it is out of date is for the caller to judge at
 * each use.
 */
export async function verifyMetadataBlob(jws: string, trust: MetadataTrust, at: Date): Promise<MetadataBlob> {
  let header;
  try {
    header = decodeProtectedHeader(jws.trim());
  } catch (error) {
    throw new MetadataBlobError('not a compact JWS', { cause: error });
  }
  const { alg, x5c } = header;
  if (alg === undefined || !BLOB_ALGORITHMS.includes(alg)) throw new MetadataBlobError(`unexpected JWS algorithm ${String(alg)}`);
  if (!Array.isArray(x5c) || x5c.length === 0) throw new MetadataBlobError('no x5c certificate chain in the JWS header');
  const chain = parseCertificates(x5c.map((cert) => new Uint8Array(Buffer.from(cert, 'base64'))));
  if (chain === null) throw new MetadataBlobError('an x5c certificate does not parse');
  if (!chainsToAnchor(chain, trust.roots, at)) throw new MetadataBlobError('the x5c chain does not lead to the metadata root, or a certificate is out of its validity');
  checkSigner(chain[0]!, trust.signerName);

  let payload: unknown;
  try {
    const key = await importX509(chain[0]!.toString(), alg);
    const verified = await compactVerify(jws.trim(), key, { algorithms: [alg] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload));
  } catch (error) {
    throw new MetadataBlobError('the JWS signature does not verify, or its payload is not JSON', { cause: error });
  }
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) throw new MetadataBlobError(`unexpected payload: ${z.prettifyError(parsed.error)}`);
  const { no, nextUpdate, entries } = parsed.data;
  // A nextUpdate that is no date (2024-13-01) would otherwise make a BLOB that never goes out of date.
  const expiresAt = endOfCalendarDay(nextUpdate);
  if (expiresAt === null) throw new MetadataBlobError(`nextUpdate ${nextUpdate} is not a calendar date`);

  const models = new Map<string, AuthenticatorModel>();
  const roots = new Map<string, X509Certificate>();
  const entriesByRoot = new Map<string, string[]>();
  const compromisedCertificates = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    for (const report of entry.statusReports) {
      if (report.status !== 'ATTESTATION_KEY_COMPROMISE' || report.certificate === undefined) continue;
      // Skipping one that does not parse would trust the leaked key it names: the BLOB is refused instead.
      const [named] = parseCertificates([new Uint8Array(Buffer.from(report.certificate, 'base64'))]) ?? [];
      if (named === undefined) throw new MetadataBlobError(`entry ${index}: the certificate of an ATTESTATION_KEY_COMPROMISE report does not parse`);
      compromisedCertificates.add(named.fingerprint256);
    }
    const statement = entry.metadataStatement;
    if (statement === undefined) continue;
    const aaguid = entry.aaguid?.toLowerCase();
    // Every entry's roots go in the index, one by one (a root that does not parse is left out: nothing chains to it),
    // so that a certificate naming no model is refused when its chain reaches a root another entry lists.
    for (const der of statement.attestationRootCertificates) {
      const [root] = parseCertificates([new Uint8Array(Buffer.from(der, 'base64'))]) ?? [];
      if (root === undefined) continue;
      roots.set(root.fingerprint256, root);
      const listing = entriesByRoot.get(root.fingerprint256) ?? [];
      listing.push(aaguid ?? `entry ${index} (no AAGUID)`);
      entriesByRoot.set(root.fingerprint256, listing);
    }
    // Models without an AAGUID (U2F keys, listed by key identifier) cannot be matched to a passkey's AAGUID.
    if (aaguid === undefined) continue;
    const entryRoots = parseCertificates(statement.attestationRootCertificates.map((cert) => new Uint8Array(Buffer.from(cert, 'base64'))));
    models.set(aaguid, {
      aaguid,
      description: statement.description ?? null,
      attestationTypes: statement.attestationTypes,
      // A model whose roots do not parse has none: nothing chains to it.
      roots: entryRoots ?? [],
      distrust: entry.statusReports.map((report) => report.status).find((status) => DISTRUSTED_STATUSES.has(status)) ?? null,
    });
  }
  return { no, nextUpdate, expiresAt, models, roots: [...roots.values()], entriesByRoot, compromisedCertificates };
}

/**
 * FIDO signs the BLOB with its own certificate (subject and DNS name mds.fidoalliance.org) under a
 * public root that issues many others: the chain alone would take a BLOB signed by any TLS
 * certificate under that root, or by an issuing CA's own key. So the signer must be an end entity
 * (basicConstraints cA absent or false), allowed to sign (digitalSignature, when it states a key
 * usage), and issued to `signerName` exactly (its subject CN or a DNS SAN; no wildcard).
 */
function checkSigner(signer: X509Certificate, signerName: string): void {
  if (signer.ca) throw new MetadataBlobError('the BLOB is signed by a CA certificate, not the metadata signer');
  if (!allowsDigitalSignature(signer)) throw new MetadataBlobError('the BLOB signer\'s key usage does not include digitalSignature');
  const named = signer.checkHost(signerName, { subject: 'always', wildcards: false, partialWildcards: false });
  if (named === undefined) throw new MetadataBlobError(`the BLOB is not signed by a certificate issued to ${signerName}`);
}

/** The end (UTC) of the day a `YYYY-MM-DD` date names, or null unless it is a real calendar date. */
export function endOfCalendarDay(date: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  const start = Date.parse(`${date}T00:00:00Z`);
  // Date.parse takes 2023-02-30 as March 2: a real date reads back as it was written.
  if (!Number.isFinite(start) || new Date(start).toISOString().slice(0, 10) !== date) return null;
  return start + DAY_MS;
}
