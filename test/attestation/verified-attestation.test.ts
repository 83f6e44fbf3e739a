/**
 * Verified attestation through the real endpoint, on both store pairs: packed attestation chained
 * to the roots a FIDO MDS3 BLOB lists for the authenticator's AAGUID, with a PKI and BLOBs the test
 * makes itself (no network).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftAuthenticator, type SoftAttestationCertificate } from '../../scripts/lib/soft-authenticator.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import type { ScopeSettingsInput } from '../../src/domain/scope.js';
import { describeForBackends, type TestBackend } from '../support/backends.js';
import { completeRegistration, initiateRegistration, register, sessionCall } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import {
  aaguidBytes,
  attestationCertificate,
  certificateAuthority,
  dateInDays,
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
  return { fidoRoot, mdsCa, blobSigner, vendorRoot, vendorCa, attestation, rogue };
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
        modelEntry(COMPROMISED, roots, { statusReports: [{ status: 'ATTESTATION_KEY_COMPROMISE' }] }),
        modelEntry(DENIED, roots),
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
