/** Loading the MDS3 BLOB: what stops a start, what a changed file does, and the shipped FIDO root. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadAuthenticatorMetadata, type AuthenticatorMetadata } from '../../src/attestation/authenticator-metadata.js';
import { certificateAuthority, dateInDays, leafCertificate, modelEntry, signBlob, type Issued } from '../support/attestation-pki.js';

const AAGUID = '6b5f0e8d-d27a-41bf-83c6-708192a3b4c5';
const log = pino({ level: 'silent' });

describe('authenticator metadata (MDS3 BLOB file)', () => {
  let dir: string;
  let root: Issued;
  let ca: Issued;
  let signer: Issued;
  const opened: AuthenticatorMetadata[] = [];
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const blob = (no: number, nextUpdate = dateInDays(30), by: Issued = signer, chain: Issued[] = [ca]) =>
    signBlob({ no, nextUpdate, entries: [modelEntry(AAGUID, [root])] }, by, chain);
  const load = async (blobFile: string, rootCertFile = join(dir, 'root.pem'), watchIntervalMs?: number) => {
    const metadata = await loadAuthenticatorMetadata({ blobFile, rootCertFile, log, now: Date.now, ...(watchIntervalMs === undefined ? {} : { watchIntervalMs }) });
    opened.push(metadata);
    return metadata;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pkgw-mds-unit-'));
    root = await certificateAuthority('Unit FIDO Root');
    ca = await certificateAuthority('Unit MDS CA', root);
    signer = await leafCertificate('mds.unit.test', ca);
    write('root.pem', root.pem);
  });
  afterAll(() => {
    for (const metadata of opened) metadata.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should read the models of a BLOB that chains to the root, and have none without MDS_BLOB_FILE', async () => {
    const metadata = await load(write('good.jwt', await blob(3)));
    expect(metadata.current()?.no).toBe(3);
    expect(metadata.current()?.models.get(AAGUID)).toMatchObject({ aaguid: AAGUID, distrust: null, attestationTypes: ['basic_full'] });
    const none = await loadAuthenticatorMetadata({ blobFile: undefined, rootCertFile: undefined, log, now: Date.now });
    expect(none.current()).toBeNull();
  });

  it('should stop the start for a BLOB signed outside the root, with a broken signature, or not a JWS at all', async () => {
    const otherRoot = await certificateAuthority('Other Root');
    const otherSigner = await leafCertificate('elsewhere.test', otherRoot);
    await expect(load(write('foreign.jwt', await blob(1, dateInDays(30), otherSigner, [])))).rejects.toThrow('does not lead to the metadata root');
    const good = await blob(1);
    const [header, , signature] = good.split('.') as [string, string, string];
    const tampered = `${header}.${Buffer.from(JSON.stringify({ no: 1, nextUpdate: dateInDays(30), entries: [] })).toString('base64url')}.${signature}`;
    await expect(load(write('tampered.jwt', tampered))).rejects.toThrow('signature does not verify');
    await expect(load(write('junk.jwt', 'not a blob'))).rejects.toThrow('not a compact JWS');
  });

  it('should check the shipped FIDO roots when no root file is given: a BLOB of another PKI does not load', async () => {
    await expect(loadAuthenticatorMetadata({ blobFile: write('test-pki.jwt', await blob(1)), rootCertFile: undefined, log, now: Date.now })).rejects.toThrow(
      'does not lead to the metadata root',
    );
  });

  it('should take a changed file by itself, keep the BLOB in force when the new one does not verify, and load a stale one (refusing attestation is for each use)', async () => {
    const file = write('watched.jwt', await blob(5));
    const metadata = await load(file, join(dir, 'root.pem'), 10);
    writeFileSync(file, await blob(6));
    // Waits for the file watcher, however long the machine takes; no time is asserted.
    while (metadata.current()?.no !== 6) await new Promise((resolve) => setTimeout(resolve, 10));
    writeFileSync(file, 'garbage');
    await expect(metadata.reload()).resolves.toBe(false);
    expect(metadata.current()?.no).toBe(6);
    writeFileSync(file, await blob(7, dateInDays(-1)));
    await expect(metadata.reload()).resolves.toBe(true);
    expect(metadata.current()?.expiresAt).toBeLessThanOrEqual(Date.now());
  });
});
