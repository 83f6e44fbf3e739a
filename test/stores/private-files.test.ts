import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { register } from '../support/ceremonies.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';

const DATABASE_FILES = ['gateway.db', 'gateway.db-wal', 'gateway.db-shm'];
const KEY_FILES = ['rsa-private-key.pem', 'session-key.pem', 'identifier-secret', 'account-key-secret'];

const modeOf = (path: string) => statSync(path).mode & 0o777;
/** File name → mode, so a failure names every file that is off. */
const modesIn = (dir: string, names: string[]) => Object.fromEntries(names.map((name) => [name, modeOf(join(dir, name)).toString(8)]));
const allPrivate = (names: string[]) => Object.fromEntries(names.map((name) => [name, '600']));

/** A DATA_DIR as an operator might make it: readable by everyone on the machine. */
function openDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pkgw-modes-'));
  chmodSync(dir, 0o755);
  return dir;
}

/** Registers one user, so the account store has written its database, WAL and shared-memory files. */
async function registerSomeone(harness: Harness): Promise<string> {
  const scope = await harness.createScope();
  const client = new RpcClient(harness.url, scope.scope_id, harness.publicKey);
  await register(client, new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' }), `modes-${randomUUID().slice(0, 8)}`);
  return scope.scope_id;
}

describe('finding 11: files the gateway creates are private, whatever the folder\'s mode', () => {
  let previousUmask: number;
  const dirs: string[] = [];
  beforeAll(() => {
    // The common default umask, which leaves new files readable by everyone unless they ask otherwise.
    previousUmask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(previousUmask);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('should create the SQLite files and the key and secret files with mode 0600 in a 0755 DATA_DIR under umask 022', async () => {
    const dataDir = openDataDir();
    dirs.push(dataDir);
    const harness = await startGateway('embedded', { DATA_DIR: dataDir });
    try {
      await registerSomeone(harness);
      expect(modesIn(dataDir, [...DATABASE_FILES, ...KEY_FILES])).toEqual(allPrivate([...DATABASE_FILES, ...KEY_FILES]));
    } finally {
      await harness.close();
    }
  }, 30_000);

  it('should tighten a gateway.db and gateway.db-wal an older deployment left at 0644, keeping what they hold', async () => {
    // The older deployment's files: a database whose latest writes are still only in its WAL, as a
    // process that stopped without checkpointing leaves them.
    const oldDir = openDataDir();
    const dataDir = openDataDir();
    dirs.push(oldDir, dataDir);
    const old = await startGateway('embedded', { DATA_DIR: oldDir });
    let oldScopeId: string;
    try {
      oldScopeId = await registerSomeone(old);
      for (const name of ['gateway.db', 'gateway.db-wal']) {
        copyFileSync(join(oldDir, name), join(dataDir, name));
        chmodSync(join(dataDir, name), 0o644);
      }
      // Not an empty WAL: SQLite itself resets the mode of one only while it is empty.
      expect(statSync(join(dataDir, 'gateway.db-wal')).size).toBeGreaterThan(0);
    } finally {
      await old.close();
    }

    const harness = await startGateway('embedded', { DATA_DIR: dataDir });
    try {
      expect(await harness.gateway.stores.scopes.getScope(oldScopeId)).not.toBeNull();
      await registerSomeone(harness);
      expect(modesIn(dataDir, DATABASE_FILES)).toEqual(allPrivate(DATABASE_FILES));
    } finally {
      await harness.close();
    }
  }, 30_000);
});
