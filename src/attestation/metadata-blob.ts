import { X509Certificate } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importX509 } from 'jose';
import { z } from 'zod';
import { chainsToAnchor, parseCertificates } from './certificate-chain.js';

/** JWS algorithms a FIDO MDS3 BLOB is signed with; anything else is refused before any key is imported. */
const BLOB_ALGORITHMS = ['RS256', 'ES256', 'ES384', 'ES512', 'PS256'];

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
  statusReports: z.array(z.looseObject({ status: z.string() })).default([]),
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
  /** When it is out of date: the end of its nextUpdate day (UTC), by which a newer BLOB is due. */
  expiresAt: number;
  models: ReadonlyMap<string, AuthenticatorModel>;
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
 * x5c chain must lead to one of `roots` (the FIDO root) with every certificate valid at `at`, its
 * first certificate's key must verify the signature (jose), and the payload must have the MDS3
 * shape. Whether it is out of date (nextUpdate) is for the caller to judge at each use.
 */
export async function verifyMetadataBlob(jws: string, roots: readonly X509Certificate[], at: Date): Promise<MetadataBlob> {
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
  if (!chainsToAnchor(chain, roots, at)) throw new MetadataBlobError('the x5c chain does not lead to the metadata root, or a certificate is out of its validity');

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

  const models = new Map<string, AuthenticatorModel>();
  for (const entry of entries) {
    const statement = entry.metadataStatement;
    // Models without an AAGUID (U2F keys, listed by key identifier) cannot be matched to a passkey's AAGUID.
    if (entry.aaguid === undefined || statement === undefined) continue;
    const aaguid = entry.aaguid.toLowerCase();
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
  return { no, nextUpdate, expiresAt: Date.parse(`${nextUpdate}T00:00:00Z`) + 24 * 3600 * 1000, models };
}
