import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/local-services.js';
import { buildGateway, spawnBuiltGateway } from '../support/built-gateway.js';

const root = new URL('../../', import.meta.url).pathname;


describe('npm start', () => {
  let dataDir: string;
  beforeAll(() => {
    buildGateway();
    dataDir = mkdtempSync(join(tmpdir(), 'pkgw-start-'));
  }, 120_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('should start with zero configuration, print the URL, public key and development scope, and stop on SIGTERM', async () => {
    const port = await freePort();
    const gateway = spawnBuiltGateway({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'silent' });
    try {
      await gateway.waitFor('development scope id');
      const stdout = gateway.stdout();
      expect(stdout).toContain(`listening on http://localhost:${port}`);
      const publicKey = /enclavePublicKey\): (\S+)/.exec(stdout)?.[1];
      const scopeId = /development scope id: ([0-9a-f-]{36})/.exec(stdout)?.[1];
      expect(scopeId).toBeDefined();

      const reply = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getEncryptionKey' }),
      });
      expect(((await reply.json()) as { result: { public_key: string } }).result.public_key).toBe(publicKey);

      // The development scope allows the gateway's own origin.
      const preflight = await fetch(`http://127.0.0.1:${port}/`, { method: 'OPTIONS', headers: { origin: `http://localhost:${port}`, 'access-control-request-method': 'POST' } });
      expect(preflight.headers.get('access-control-allow-origin')).toBe(`http://localhost:${port}`);

      expect(statSync(join(dataDir, 'rsa-private-key.pem')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, 'gateway.db')).isFile()).toBe(true);
    } finally {
      gateway.child.kill('SIGTERM');
    }
    expect(await gateway.exited).toBe(0);
  }, 60_000);

  it('should refuse to start on a bad variable, naming it', () => {
    let stderr = '';
    try {
      execFileSync(process.execPath, [join(root, 'dist', 'src', 'main.js')], { env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: 'abc' }, stdio: 'pipe' });
    } catch (error) {
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(stderr).toContain('PORT');
  });
});
