import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('npm start', () => {
  let dataDir: string;
  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { cwd: root, stdio: 'ignore' });
    dataDir = mkdtempSync(join(tmpdir(), 'pkgw-start-'));
  }, 120_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('should start with zero configuration, print the URL, public key and development scope, and stop on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(root, 'dist', 'src', 'main.js')], {
      cwd: root,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!stdout.includes('development scope id') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
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
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
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
