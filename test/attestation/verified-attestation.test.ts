/**
 * Verified attestation through the real endpoint, on both store pairs: packed attestation chained
 * to the roots a FIDO MDS3 BLOB lists for the authenticator's AAGUID, with a PKI and BLOBs the test
 * makes itself (no network).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'cborg';
import { pino } from 'pino';
import { SoftAuthenticator, type SoftAttestationCertificate } from '../../scripts/lib/soft-authenticator.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { createGateway } from '../../src/app.js';
import { attestationVerdict, type AttestationFacts } from '../../src/attestation/attestation-trust.js';
import { loadAuthenticatorMetadata, type AuthenticatorMetadataOptions } from '../../src/attestation/authenticator-metadata.js';
import type { MetadataBlob } from '../../src/attestation/metadata-blob.js';
import { loadConfig } from '../../src/config/config.js';
import type { ScopeSettingsInput } from '../../src/domain/scope.js';
import { isGatewayError } from '../../src/errors/gateway-error.js';
import { describeForBackends, type TestBackend } from '../support/backends.js';
import { completeRegistration, initiateRegistration, register, sessionCall } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import {
  aaguidBytes,
  attestationCertificate,
  certificateAuthority,
  certificateBase64,
  dateInDays,
  KeyUsageFlags,
  leafCertificate,
  modelEntry,
  signBlob,
  type Issued,
} from '../support/attestation-pki.js';

const GOOD = '1c0a5f3e-8d2b-4c6a-9e71-2b3c4d5e6f70';
const REVOKED = '2d1b6a4f-9e3c-4d7b-8f82-3c4d5e6f7081';
const COMPROMISED = '3e2c7b5a-af4d-4e8c-9093-4d5e6f708192';
const DENIED = '4f3d8c6b-b05e-4f9d-a1a4-5e6f708192a3';
const UNLISTED = '5a4e9d7c-c16f-40ae-b2b5-6f708192a3b4';
/** A model with a root no other entry lists. */
const SOLO = '7c6a1f9e-e38b-42cf-94d7-8192a3b4c5d6';
/** The name the test BLOB signer is issued to (MDS_SIGNER_NAME). */
const MDS_SIGNER = 'mds.test';
const log = pino({ level: 'silent' });

interface Pki {
  fidoRoot: Issued;
  mdsCa: Issued;
  blobSigner: Issued;
  vendorRoot: Issued;
  vendorCa: Issued;
  /** An attestation certificate per AAGUID, under the vendor's CA. */
  attestation: Record<string, SoftAttestationCertificate>;
  /** An attestation certificate for GOOD's AAGUID under a root no BLOB lists. */
  rogue: SoftAttestationCertificate;
  /** COMPROMISED's attestation certificate as many are, naming no model (no id-fido-gen-ce-aaguid): its leaked key. */
  leaked: SoftAttestationCertificate;
  /** A batch CA under the vendor root that COMPROMISED's compromise report names, and a certificate naming GOOD it minted. */
  batchCa: Issued;
  minted: SoftAttestationCertificate;
  /** SOLO's root (listed by no other model) and an attestation certificate under it that names no model. */
  soloRoot: Issued;
  solo: SoftAttestationCertificate;
}

async function buildPki(): Promise<Pki> {
  const fidoRoot = await certificateAuthority('Test FIDO Root');
  const mdsCa = await certificateAuthority('Test MDS CA', fidoRoot);
  const blobSigner = await leafCertificate('mds.test', mdsCa);
  const vendorRoot = await certificateAuthority('Vendor Attestation Root');
  const vendorCa = await certificateAuthority('Vendor Attestation CA', vendorRoot);
  const attestation: Record<string, SoftAttestationCertificate> = {};
  for (const aaguid of [GOOD, REVOKED, COMPROMISED, DENIED, UNLISTED]) {
    attestation[aaguid] = attestationCertificate(await leafCertificate(`Authenticator ${aaguid.slice(0, 4)}`, vendorCa, { aaguid }), [vendorCa]);
  }
  const rogueRoot = await certificateAuthority('Rogue Root');
  const rogueCa = await certificateAuthority('Rogue CA', rogueRoot);
  const rogue = attestationCertificate(await leafCertificate('Rogue authenticator', rogueCa, { aaguid: GOOD }), [rogueCa]);
  const leaked = attestationCertificate(await leafCertificate('Authenticator 3e2c (key leaked)', vendorCa), [vendorCa]);
  const batchCa = await certificateAuthority('Vendor Batch CA (key leaked)', vendorRoot);
  const minted = attestationCertificate(await leafCertificate('Minted authenticator', batchCa, { aaguid: GOOD }), [batchCa]);
  const soloRoot = await certificateAuthority('Solo Vendor Root');
  const soloCa = await certificateAuthority('Solo Vendor CA', soloRoot);
  const solo = attestationCertificate(await leafCertificate('Solo authenticator', soloCa), [soloCa]);
  return { fidoRoot, mdsCa, blobSigner, vendorRoot, vendorCa, attestation, rogue, leaked, batchCa, minted, soloRoot, solo };
}

function blobFor(pki: Pki, no: number, nextUpdate: string): Promise<string> {
  const roots = [pki.vendorRoot];
  return signBlob(
    {
      no,
      nextUpdate,
      entries: [
        modelEntry(GOOD, roots),
        modelEntry(REVOKED, roots, { statusReports: [{ status: 'FIDO_CERTIFIED_L1' }, { status: 'REVOKED', effectiveDate: '2025-01-01' }] }),
        modelEntry(COMPROMISED, roots, { statusReports: [{ status: 'ATTESTATION_KEY_COMPROMISE', certificate: certificateBase64(pki.batchCa) }] }),
        modelEntry(DENIED, roots),
        modelEntry(SOLO, [pki.soloRoot]),
      ],
    },
    pki.blobSigner,
    [pki.mdsCa],
  );
}

describeForBackends('verified attestation through the real endpoint', (backend: TestBackend) => {
  let pki: Pki;
  let dir: string;
  let blobFile: string;
  let harness: Harness;

  beforeAll(async () => {
    pki = await buildPki();
    dir = mkdtempSync(join(tmpdir(), 'pkgw-mds-'));
    blobFile = join(dir, 'blob.jwt');
    writeFileSync(join(dir, 'root.pem'), pki.fidoRoot.pem);
    writeFileSync(blobFile, await blobFor(pki, 10, dateInDays(30)));
    harness = await startGateway(backend, {
      RATE_LIMIT_IP_PER_MINUTE: '0',
      RATE_LIMIT_USER_PER_MINUTE: '0',
      MDS_BLOB_FILE: blobFile,
      MDS_ROOT_CERT_FILE: join(dir, 'root.pem'),
      MDS_SIGNER_NAME: MDS_SIGNER,
    });
  });
  afterAll(async () => {
    await harness.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const scopeClient = async (settings: Partial<ScopeSettingsInput>) => {
    const scope = await harness.createScope({ attestation: 'direct', aaguid_deny: [DENIED], ...settings });
    return new RpcClient(harness.url, scope.scope_id, harness.publicKey, TEST_ORIGIN);
  };
  const keyWith = (aaguid: string, certificate?: SoftAttestationCertificate) =>
    new SoftAuthenticator({ algorithm: 'ES256', attestation: 'packed-full', aaguid: aaguidBytes(aaguid), attestationCertificate: certificate ?? pki.attestation[aaguid] });
  const registerWith = async (client: RpcClient, authenticator: SoftAuthenticator) =>
    completeRegistration(client, await initiateRegistration(client, `key-${randomUUID().slice(0, 8)}`), authenticator);

  it('should register a passkey whose packed attestation chains to a root the metadata lists for its AAGUID, and say it was verified', async () => {
    const client = await scopeClient({});
    const started = await initiateRegistration(client, `key-${randomUUID().slice(0, 8)}`);
    expect(started.options.attestation).toBe('direct');
    const authenticator = keyWith(GOOD);
    const reply = await completeRegistration(client, started, authenticator);
    expect(reply.error).toBeUndefined();
    const listed = await sessionCall<{ credentials: { aaguid: string; attestation_verified: boolean }[] }>(client, String(reply.result?.encrypted_jwt), 'listCredentials');
    expect(listed.result?.credentials).toEqual([expect.objectContaining({ aaguid: GOOD, attestation_verified: true })]);
  });

  it('should accept the same under attestation enterprise', async () => {
    const reply = await registerWith(await scopeClient({ attestation: 'enterprise' }), keyWith(GOOD));
    expect(reply.error).toBeUndefined();
  });

  it('finding L3-1: should refuse a packed attestation whose chain leads to no root the metadata lists (the library alone checks no chain)', async () => {
    const reply = await registerWith(await scopeClient({}), keyWith(GOOD, pki.rogue));
    expect(reply.error).toEqual({ code: -32019, message: 'The authenticator could not be verified as a trusted model', data: 'attestation_untrusted' });
  });

  it('should refuse an authenticator model the metadata reports revoked or compromised, and one it does not list', async () => {
    const client = await scopeClient({});
    for (const aaguid of [REVOKED, COMPROMISED, UNLISTED]) {
      expect((await registerWith(client, keyWith(aaguid))).error?.data).toBe('attestation_untrusted');
    }
  });

  it('should refuse none and self attestation under direct and enterprise', async () => {
    for (const attestation of ['direct', 'enterprise'] as const) {
      const client = await scopeClient({ attestation });
      expect((await registerWith(client, new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', aaguid: aaguidBytes(GOOD) }))).error?.data).toBe('attestation_untrusted');
      expect((await registerWith(client, new SoftAuthenticator({ algorithm: 'ES256', attestation: 'packed-self', aaguid: aaguidBytes(GOOD) }))).error?.data).toBe('attestation_untrusted');
    }
  });

  it('should refuse a denied AAGUID, and one outside the allow list, with authenticator_not_allowed once its attestation verified', async () => {
    const denying = await scopeClient({});
    expect((await registerWith(denying, keyWith(DENIED))).error).toEqual({ code: -32026, message: 'This authenticator model is not allowed in this scope', data: 'authenticator_not_allowed' });
    const allowing = await scopeClient({ aaguid_allow: [DENIED.toUpperCase()], aaguid_deny: [] });
    expect((await registerWith(allowing, keyWith(GOOD))).error?.data).toBe('authenticator_not_allowed');
    expect((await registerWith(allowing, keyWith(DENIED))).error).toBeUndefined();
    // A certificate naming another model than the authenticator data is refused by the library's own check.
    expect((await registerWith(denying, keyWith(DENIED, pki.rogue))).error?.data).toBe('verification_failed');
  });

  it('finding L3-9: should take an AAGUID from a certificate that names no model only when no other model lists a root its chain reaches, and no chain through a certificate a compromise report names', async () => {
    const client = await scopeClient({ aaguid_allow: [GOOD, SOLO], aaguid_deny: [] });
    // The leaked key of COMPROMISED, whose certificate names no model, claiming its sibling GOOD under the shared vendor root.
    expect((await registerWith(client, keyWith(GOOD, pki.leaked))).error?.data).toBe('attestation_untrusted');
    // A batch CA whose key leaked (named by COMPROMISED's report) mints a certificate that names GOOD: refused whatever it claims.
    expect((await registerWith(client, keyWith(GOOD, pki.minted))).error?.data).toBe('attestation_untrusted');
    // A certificate that names another model than the authenticator data: @simplewebauthn/server refuses it itself for packed.
    expect((await registerWith(client, keyWith(GOOD, pki.attestation[DENIED]))).error?.data).toBe('verification_failed');
    // A certificate that names no model, under a root only its model lists, still verifies; so does GOOD's own.
    expect((await registerWith(client, keyWith(SOLO, pki.solo))).error).toBeUndefined();
    expect((await registerWith(client, keyWith(GOOD))).error).toBeUndefined();
  });

  it('finding L3-5: should not apply the AAGUID lists without verified attestation: there an AAGUID is a claim, recorded as unverified', async () => {
    const client = await scopeClient({ attestation: 'none', aaguid_deny: [DENIED] });
    const registered = await register(client, new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', aaguid: aaguidBytes(DENIED) }), `claim-${randomUUID().slice(0, 8)}`);
    const listed = await sessionCall<{ credentials: { aaguid: string; attestation_verified: boolean }[] }>(client, registered.encrypted_jwt, 'listCredentials');
    expect(listed.result?.credentials).toEqual([expect.objectContaining({ aaguid: DENIED, attestation_verified: false })]);
  });

  it('should refuse attestation once the BLOB is past its nextUpdate, take a newer one, and never an older one', async () => {
    const client = await scopeClient({});
    writeFileSync(blobFile, await blobFor(pki, 11, dateInDays(-2)));
    await expect(harness.gateway.metadata.reload()).resolves.toBe(true);
    expect((await registerWith(client, keyWith(GOOD))).error?.data).toBe('attestation_untrusted');

    writeFileSync(blobFile, await blobFor(pki, 12, dateInDays(30)));
    await expect(harness.gateway.metadata.reload()).resolves.toBe(true);
    expect((await registerWith(client, keyWith(GOOD))).error).toBeUndefined();

    // Rolling back to an older BLOB (a lower serial number) is refused: the one in force stays.
    writeFileSync(blobFile, await blobFor(pki, 11, dateInDays(30)));
    await expect(harness.gateway.metadata.reload()).resolves.toBe(false);
    expect(harness.gateway.metadata.current()?.no).toBe(12);
    expect((await registerWith(client, keyWith(GOOD))).error).toBeUndefined();
  });
});

/** Whether a call throws a GatewayError, and which reason; undefined when it returns. */
function reasonOf(call: () => unknown): string | undefined {
  try {
    call();
    return undefined;
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    return error.reason;
  }
}

describe('the metadata BLOB and the attestation verdict, below the endpoint', () => {
  let pki: Pki;
  let dir: string;
  beforeAll(async () => {
    pki = await buildPki();
    dir = mkdtempSync(join(tmpdir(), 'pkgw-mds-'));
    writeFileSync(join(dir, 'root.pem'), pki.fidoRoot.pem);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Loads a BLOB as the gateway does at start; the BLOB in force, or the reason it was refused. */
  const loadBlob = async (jws: string, signerName = MDS_SIGNER): Promise<MetadataBlob | null> => {
    const blobFile = join(dir, `${randomUUID()}.jwt`);
    writeFileSync(blobFile, jws);
    const options: AuthenticatorMetadataOptions = { blobFile, rootCertFile: join(dir, 'root.pem'), signerName, log, now: Date.now };
    const metadata = await loadAuthenticatorMetadata(options);
    metadata.close();
    return metadata.current();
  };
  /** Starts a whole gateway on the BLOB (its stores embedded, in the test's directory) and closes it again. */
  const startWith = async (jws: string, env: Record<string, string> = {}) => {
    const home = mkdtempSync(join(dir, 'gateway-'));
    writeFileSync(join(home, 'blob.jwt'), jws);
    try {
      const config = loadConfig({ PORT: '0', METRICS_PORT: '0', DATA_DIR: home, MDS_BLOB_FILE: join(home, 'blob.jwt'), MDS_ROOT_CERT_FILE: join(dir, 'root.pem'), ...env });
      const gateway = await createGateway(config, log);
      await gateway.close();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  };
  const packedFacts = (aaguid: string, certificate: SoftAttestationCertificate, fmt = 'packed'): AttestationFacts => ({
    fmt,
    aaguid,
    attestationObject: new Uint8Array(encode(new Map<string, unknown>([['fmt', fmt], ['attStmt', new Map([['x5c', certificate.x5c]])], ['authData', new Uint8Array(37)]]))),
  });
  const direct = { attestation: 'direct' as const, aaguid_allow: [], aaguid_deny: [] };

  it('finding L3-9: should refuse a certificate naming another model than the authenticator data in formats the library does not check it for (android-key)', async () => {
    const blob = await loadBlob(await blobFor(pki, 1, dateInDays(30)));
    expect(reasonOf(() => attestationVerdict(direct, packedFacts(GOOD, pki.attestation[DENIED]!, 'android-key'), blob, new Date()))).toBe('attestation_untrusted');
    expect(reasonOf(() => attestationVerdict(direct, packedFacts(GOOD, pki.attestation[GOOD]!, 'android-key'), blob, new Date()))).toBeUndefined();
    // And, below the endpoint, the leaked and the minted certificates of the endpoint test.
    expect(reasonOf(() => attestationVerdict(direct, packedFacts(GOOD, pki.leaked), blob, new Date()))).toBe('attestation_untrusted');
    expect(reasonOf(() => attestationVerdict(direct, packedFacts(GOOD, pki.minted), blob, new Date()))).toBe('attestation_untrusted');
  });

  it('finding L3-10: should refuse a BLOB signed by an issuing CA\'s key, by an end entity issued to another name or only by wildcard, or by a key not for signatures', async () => {
    const someCa = await certificateAuthority('Some TLS issuing CA', pki.fidoRoot);
    const attackerRoot = await certificateAuthority('Attacker attestation root');
    const payload = { no: Number.MAX_SAFE_INTEGER, nextUpdate: dateInDays(30), entries: [modelEntry(GOOD, [attackerRoot])] };
    const signedBy = async (signer: Issued, chain: Issued[]) => signBlob(payload, signer, chain);
    await expect(loadBlob(await signedBy(someCa, []))).rejects.toThrow('signed by a CA certificate');
    await expect(loadBlob(await signedBy(await leafCertificate('attacker.example', someCa), [someCa]))).rejects.toThrow(`not signed by a certificate issued to ${MDS_SIGNER}`);
    await expect(loadBlob(await signedBy(await leafCertificate('attacker.example', someCa, { dnsNames: ['*.unit.test'] }), [someCa]), 'mds.unit.test')).rejects.toThrow(
      'not signed by a certificate issued to mds.unit.test',
    );
    await expect(loadBlob(await signedBy(await leafCertificate(MDS_SIGNER, someCa, { keyUsages: KeyUsageFlags.keyCertSign }), [someCa]))).rejects.toThrow('digitalSignature');
    // The named signer, by its subject CN or by a DNS name, under any CA of the root.
    await expect(loadBlob(await signedBy(await leafCertificate(MDS_SIGNER, someCa), [someCa]))).resolves.toMatchObject({ no: Number.MAX_SAFE_INTEGER });
    await expect(loadBlob(await signedBy(await leafCertificate('Metadata signer', someCa, { dnsNames: ['www.example', MDS_SIGNER] }), [someCa]))).resolves.toMatchObject({ no: Number.MAX_SAFE_INTEGER });
  });

  it('finding L3-10: should not start on a BLOB signed by another certificate than MDS_SIGNER_NAME names (mds.fidoalliance.org by default)', async () => {
    const jws = await blobFor(pki, 1, dateInDays(30));
    await expect(startWith(jws)).rejects.toThrow('not signed by a certificate issued to mds.fidoalliance.org');
    await expect(startWith(jws, { MDS_SIGNER_NAME: MDS_SIGNER })).resolves.toBeUndefined();
  });

  it('finding L3-11: should refuse a BLOB whose nextUpdate is not a calendar date, and refuse attestation under an expiry that is not a number', async () => {
    for (const nextUpdate of ['2024-13-01', '2023-02-29', '2024-04-31', '2024-00-10']) {
      await expect(loadBlob(await blobFor(pki, 1, nextUpdate))).rejects.toThrow(`nextUpdate ${nextUpdate} is not a calendar date`);
    }
    const leapDay = await loadBlob(await blobFor(pki, 1, '2024-02-29'));
    expect(leapDay?.expiresAt).toBe(Date.parse('2024-03-01T00:00:00Z'));
    // The gate itself fails closed: an expiry that is not a number is out of date.
    const blob = await loadBlob(await blobFor(pki, 1, dateInDays(30)));
    expect(reasonOf(() => attestationVerdict(direct, packedFacts(GOOD, pki.attestation[GOOD]!), blob, new Date()))).toBeUndefined();
    expect(reasonOf(() => attestationVerdict(direct, packedFacts(GOOD, pki.attestation[GOOD]!), { ...blob!, expiresAt: Number.NaN }, new Date()))).toBe('attestation_untrusted');
  });

  it('finding L3-11: should not start on a BLOB whose nextUpdate is not a calendar date', async () => {
    await expect(startWith(await blobFor(pki, 1, '2024-13-01'), { MDS_SIGNER_NAME: MDS_SIGNER })).rejects.toThrow('is not a calendar date');
  });
});
