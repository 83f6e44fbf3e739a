import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/local-services.js';
import { buildGateway, spawnBuiltGateway } from '../support/built-gateway.js';


describe('SIGTERM on the built process', () => {
  let dataDir: string;
  beforeAll(() => {
    buildGateway();
    dataDir = mkdtempSync(join(tmpdir(), 'pkgw-sigterm-'));
  }, 120_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('should stop accepting, finish the request in flight, close the stores and exit 0 within the grace period', async () => {
    const port = await freePort();
    const gateway = spawnBuiltGateway({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '5000' });
    const { child, exited } = gateway;
    try {
      await gateway.waitFor('listening on');

      // A request whose body is still arriving when SIGTERM comes: it is in flight.
      const body = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'getEncryptionKey' });
      const socket = connect(port, '127.0.0.1');
      let reply = '';
      socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
      const closed = new Promise((resolve) => socket.on('close', resolve));
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));

      const signalled = Date.now();
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      // No new connections once draining.
      const refused = await new Promise<boolean>((resolve) => {
        const probe = connect(port, '127.0.0.1');
        probe.once('connect', () => (probe.destroy(), resolve(false)));
        probe.once('error', () => resolve(true));
      });
      expect(refused).toBe(true);

      socket.end(body.slice(10));
      await closed;
      expect(reply).toMatch(/^HTTP\/1\.1 200/);
      expect(reply).toContain('"id":7');
      expect(reply).toContain('"public_key"');
      expect(await exited).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(5000);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
