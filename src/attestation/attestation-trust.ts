import { decodeAttestationObject } from '@simplewebauthn/server/helpers';
import type { Scope } from '../domain/scope.js';
import { GatewayError } from '../errors/gateway-error.js';
import { chainsToAnchor, parseCertificates } from './certificate-chain.js';
import type { MetadataBlob } from './metadata-blob.js';

/** What a verified registration tells about its attestation (verifyRegistrationResponse's registrationInfo). */
export interface AttestationFacts {
  fmt: string;
  /** Lower-case, hyphenated. */
  aaguid: string;
  attestationObject: Uint8Array<ArrayBuffer>;
}

/** Attestation types whose statement carries a certificate chain (x5c) to a model's roots. */
const CHAINED_TYPES = ['basic_full', 'attca'];

/**
 * Whether a registration's attestation is a fact the scope can rely on. Runs after
 * verifyRegistrationResponse has verified the statement's signature over the new credential (with
 * no roots of its own for packed and tpm, the library checks no chain): here the statement's chain
 * must lead to the roots the metadata BLOB lists for the AAGUID the authenticator data names, the
 * BLOB must be in date and the model not revoked or compromised. Under `attestation: none` nothing
 * is checked and the AAGUID stays a claim (verified: false). Under `direct` or `enterprise` anything
 * less is `attestation_untrusted`, and only then do the scope's AAGUID lists apply
 * (`authenticator_not_allowed`): an AAGUID without verified attestation is a claim, not a fact.
 */
export function attestationVerdict(scope: Pick<Scope, 'attestation' | 'aaguid_allow' | 'aaguid_deny'>, facts: AttestationFacts, metadata: MetadataBlob | null, at: Date): { verified: boolean } {
  if (scope.attestation === 'none') return { verified: false };
  const untrusted = (why: string) => new GatewayError('attestation_untrusted', why);
  if (facts.fmt === 'none') throw untrusted('no attestation statement (fmt none)');
  const x5c = decodeAttestationObject(facts.attestationObject).get('attStmt').get('x5c');
  if (!Array.isArray(x5c) || x5c.length === 0) throw untrusted(`self attestation (fmt ${facts.fmt}, no x5c)`);
  if (metadata === null) throw untrusted('no authenticator metadata (MDS_BLOB_FILE) to verify attestation against');
  if (at.getTime() >= metadata.expiresAt) throw untrusted(`authenticator metadata BLOB ${metadata.no} out of date since its nextUpdate ${metadata.nextUpdate}`);
  const model = metadata.models.get(facts.aaguid);
  if (model === undefined) throw untrusted(`AAGUID ${facts.aaguid} not in the authenticator metadata`);
  if (model.distrust !== null) throw untrusted(`AAGUID ${facts.aaguid} reported ${model.distrust}`);
  if (!model.attestationTypes.some((type) => CHAINED_TYPES.includes(type))) throw untrusted(`AAGUID ${facts.aaguid} makes no chained attestation`);
  const chain = parseCertificates(x5c);
  if (chain === null || !chainsToAnchor(chain, model.roots, at)) throw untrusted(`attestation chain does not lead to a root of AAGUID ${facts.aaguid}`);
  // Only now is the AAGUID known to be the authenticator's model.
  if (scope.aaguid_deny.includes(facts.aaguid)) throw new GatewayError('authenticator_not_allowed', `AAGUID ${facts.aaguid} denied`);
  if (scope.aaguid_allow.length > 0 && !scope.aaguid_allow.includes(facts.aaguid)) throw new GatewayError('authenticator_not_allowed', `AAGUID ${facts.aaguid} not allowed`);
  return { verified: true };
}
