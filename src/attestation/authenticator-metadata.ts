import { type X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import { parsePemCertificates } from './certificate-chain.js';
import { FIDO_MDS_ROOTS_PEM } from './fido-mds-roots.js';
import { verifyMetadataBlob, type MetadataBlob } from './metadata-blob.js';

/** The real BLOB is a few MiB; a file far larger is not one, and is not read. */
const MAX_BLOB_BYTES = 64 * 1024 * 1024;

/** The FIDO metadata this gateway trusts attestation to: the MDS3 BLOB the operator provides. */
export interface AuthenticatorMetadata {
  /** The BLOB in force: null without MDS_BLOB_FILE. Whether it is out of date is judged at each use. */
  current(): MetadataBlob | null;
  /** Reads the file again now (it is also read whenever it changes). Resolves to whether a BLOB was taken. */
  reload(): Promise<boolean>;
  close(): void;
}

export interface AuthenticatorMetadataOptions {
  /** MDS_BLOB_FILE; undefined: no metadata, so no attestation verifies. */
  blobFile: string | undefined;
  /** MDS_ROOT_CERT_FILE: PEM of the roots the BLOB must chain to; undefined: the FIDO root shipped with the gateway. */
  rootCertFile: string | undefined;
  log: Logger;
  now: () => number;
  /** How often the file's modification is looked for (fs.watchFile polls its stat). Default 5 s. */
  watchIntervalMs?: number;
}

/**
 * Loads the BLOB at start (a BLOB that does not verify stops the start: the operator asked for
 * verified attestation) and again whenever the file changes. A changed file that does not verify,
 * or that is older (a lower serial number) than the BLOB in force, is logged and left unused: the
 * BLOB in force stays. No network is used: the operator fetches the BLOB (e.g. monthly from
 * mds3.fidoalliance.org) and replaces the file.
 */
export async function loadAuthenticatorMetadata(options: AuthenticatorMetadataOptions): Promise<AuthenticatorMetadata> {
  const { blobFile, log, now } = options;
  if (blobFile === undefined) return { current: () => null, reload: () => Promise.resolve(false), close: () => undefined };
  const roots = await loadRoots(options.rootCertFile);
  let blob: MetadataBlob | null = null;

  const read = async (): Promise<MetadataBlob> => {
    const { size } = await stat(blobFile);
    if (size > MAX_BLOB_BYTES) throw new Error(`${blobFile} is ${size} bytes, more than a metadata BLOB`);
    return verifyMetadataBlob(await readFile(blobFile, 'utf8'), roots, new Date(now()));
  };
  const describe = (taken: MetadataBlob) => ({ no: taken.no, next_update: taken.nextUpdate, models: taken.models.size, file: blobFile });

  blob = await read();
  log.info(describe(blob), 'authenticator metadata BLOB loaded');
  if (now() >= blob.expiresAt) log.warn(describe(blob), 'authenticator metadata BLOB is past its nextUpdate: attestation is refused until a newer one is provided');

  const reload = async (): Promise<boolean> => {
    let fresh: MetadataBlob;
    try {
      fresh = await read();
    } catch (err) {
      log.error({ err, file: blobFile }, 'authenticator metadata BLOB not taken; the one loaded before stays in force');
      return false;
    }
    // FIDO MDS: a BLOB whose number is below the one held is ignored (no rolling back to older trust).
    if (blob !== null && fresh.no < blob.no) {
      log.warn({ ...describe(fresh), in_force: blob.no }, 'authenticator metadata BLOB is older than the one in force; not taken');
      return false;
    }
    blob = fresh;
    log.info(describe(fresh), 'authenticator metadata BLOB loaded');
    return true;
  };

  let reloading: Promise<boolean> | null = null;
  const onChange = () => {
    reloading ??= reload().finally(() => {
      reloading = null;
    });
  };
  watchFile(blobFile, { interval: options.watchIntervalMs ?? 5000, persistent: false }, onChange);
  return {
    current: () => blob,
    reload,
    close: () => unwatchFile(blobFile, onChange),
  };
}

async function loadRoots(rootCertFile: string | undefined): Promise<X509Certificate[]> {
  const roots = rootCertFile === undefined ? FIDO_MDS_ROOTS_PEM.flatMap(parsePemCertificates) : parsePemCertificates(await readFile(rootCertFile, 'utf8'));
  if (roots.length === 0) throw new Error(`${rootCertFile ?? 'the shipped metadata roots'}: no certificate found`);
  return roots;
}
