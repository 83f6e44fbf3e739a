import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRsaKeyRing } from '../../src/keys/rsa-key-ring.js';
import { loadSecret } from '../../src/keys/secret-file.js';

describe('key and secret files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pkgw-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should generate the RSA key on first start with mode 0600 and load the same key afterwards', async () => {
    const file = join(dir, 'sub', 'rsa.pem');
    const first = await loadRsaKeyRing({ privateKeyFile: file, previousKeyFiles: [], bits: 2048 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.current.modulusBytes).toBe(256);
    const second = await loadRsaKeyRing({ privateKeyFile: file, previousKeyFiles: [], bits: 2048 });
    expect(second.current.publicKeySpki).toBe(first.current.publicKeySpki);
    expect(second.current.keyId).toBe(first.current.keyId);
  });

  it('should honour RSA_KEY_BITS and list previous keys after the current one', async () => {
    const previous = join(dir, 'old.pem');
    writeFileSync(previous, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const ring = await loadRsaKeyRing({ privateKeyFile: join(dir, 'rsa.pem'), previousKeyFiles: [previous], bits: 3072 });
    expect(ring.current.modulusBytes).toBe(384);
    expect(ring.all).toHaveLength(2);
    expect(ring.all[0]).toBe(ring.current);
  });

  it('should refuse a key file that holds no RSA key', async () => {
    const file = join(dir, 'ec.pem');
    writeFileSync(file, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await expect(loadRsaKeyRing({ privateKeyFile: file, previousKeyFiles: [], bits: 2048 })).rejects.toThrow(/RSA/);
  });

  it('should generate a 32-byte secret once, mode 0600, and keep it', async () => {
    const file = join(dir, 'secret');
    const [a, b] = await Promise.all([loadSecret(file), loadSecret(file)]);
    expect(a.equals(b)).toBe(true);
    expect(a).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await loadSecret(file)).equals(a)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toBe(a.toString('base64'));
  });
});
