// WORKERS: several gateway processes behind one port through node:cluster; tests and the CLI stay
// single-process because they never go through main.ts's primary.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchEncryptionKey, RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { effectiveWorkers, runWorkers } from '../../src/cluster/workers.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log/logger.js';
import { databaseUrl, describeWithRedisAndPostgres, redisUrl } from '../support/backends.js';
import { register, sessionCall, signIn } from '../support/ceremonies.js';
import { TEST_ORIGIN } from '../support/gateway-harness.js';
import { deleteRedisPrefix, dropPostgresSchema, freePort } from '../../scripts/lib/local-services.js';
import { buildGateway, spawnBuiltGateway } from '../support/built-gateway.js';

describe('WORKERS and REDIS_CLUSTER_NODES configuration', () => {
  test('WORKERS defaults to the number of cores and is honoured only with shared challenges', () => {
    expect(effectiveWorkers(loadConfig({}))).toBe(1);
    expect(effectiveWorkers(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }))).toBe(availableParallelism());
    expect(effectiveWorkers(loadConfig({ WORKERS: '4' }))).toBe(1);
    expect(effectiveWorkers(loadConfig({ WORKERS: '4', REDIS_URL: 'redis://127.0.0.1:6379' }))).toBe(4);
    expect(effectiveWorkers(loadConfig({ WORKERS: '3', REDIS_CLUSTER_NODES: '127.0.0.1:7000' }))).toBe(3);
  });

  test('one process without Redis is said only when WORKERS asked for more', async () => {
    const warnings = async (env: Record<string, string>) => {
      const lines: string[] = [];
      const log = createLogger('info', { write: (line: string) => void lines.push(line) });
      // With one effective process runWorkers returns at once: this process would serve itself.
      expect(await runWorkers(loadConfig(env), log)).toBe(false);
      return lines.filter((line) => line.includes('WORKERS ignored'));
    };
    expect(await warnings({})).toHaveLength(0);
    expect(await warnings({ WORKERS: '1' })).toHaveLength(0);
    expect(await warnings({ WORKERS: '4' })).toHaveLength(1);
  });

  test('bad values name the variable', () => {
    expect(() => loadConfig({ WORKERS: '0' })).toThrow(/WORKERS/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'no-port-here' })).toThrow(/REDIS_CLUSTER_NODES/);
  });

  test('cluster seed nodes accept host:port and redis:// URLs', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis://:secret@10.0.0.2:7001' }).redisClusterNodes).toEqual([
      'redis://10.0.0.1:7000',
      'redis://:secret@10.0.0.2:7001',
    ]);
  });
});

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** One HTTP exchange on a connection of its own: node:cluster hands each new connection to the next worker. */
function onNewConnection(url: string, options: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method, headers: options.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sum of one metric's samples whose labels include `labels` (Prometheus text format). */
function metricValue(text: string, name: string, labels = ''): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{') && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describeWithRedisAndPostgres('npm start with WORKERS=2 on Redis and PostgreSQL', () => {
  const run = randomUUID().replaceAll('-', '').slice(0, 16);
  const schema = `pkgw_test_workers_${run}`;
  const prefix = `pkgw-test:${run}:`;
  let dataDir: string;

  beforeAll(() => {
    buildGateway();
    dataDir = mkdtempSync(join(tmpdir(), 'pkgw-workers-'));
  }, 120_000);

  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropPostgresSchema(databaseUrl, schema);
    await deleteRedisPrefix(redisUrl, prefix);
  });

  test('two worker processes share the port, print one banner, serve ceremonies and stop on SIGTERM', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const gateway = spawnBuiltGateway({
        DATA_DIR: dataDir,
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'info',
        WORKERS: '2',
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: prefix,
        DATABASE_URL: databaseUrl,
        DATABASE_SCHEMA: schema,
        ALLOWED_ORIGINS: TEST_ORIGIN,
    });
    const { child, exited } = gateway;
    try {
      await gateway.waitFor('all workers listening', 30_000);
      const stdout = gateway.stdout();
      expect(childrenOf(child.pid!)).toHaveLength(2);
      expect(stdout.match(/passkey-gateway listening on/g)).toHaveLength(1);
      expect(stdout).toContain(`http://localhost:${metricsPort}/metrics`);
      const scopeId = /development scope id: ([0-9a-f-]{36})/.exec(stdout)?.[1];
      expect(scopeId).toBeDefined();

      const url = `http://127.0.0.1:${port}/`;
      const publicKey = await fetchEncryptionKey(url);
      const client = new RpcClient(url, scopeId!, publicKey);
      const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
      await register(client, authenticator, 'worker-user');
      const session = await signIn(client, authenticator, 'worker-user');
      expect((await sessionCall(client, session, 'getAccount')).result).toMatchObject({ username: 'worker-user' });

      // One client, six calls, each on a new connection, so both workers serve it: its key is
      // decrypted once and shared; /metrics on the metrics listener, which both workers share too,
      // counts for both whichever worker answers.
      const scrape = () => onNewConnection(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'GET' });
      const before = await scrape();
      const fresh = new RpcClient(url, scopeId!, publicKey);
      for (let i = 0; i < 6; i += 1) {
        const body = JSON.stringify({ jsonrpc: '2.0', id: i, method: 'initiateAuthentication', params: { encrypted_user: fresh.seal({ username: 'worker-user' }) } });
        const reply = JSON.parse(await onNewConnection(url, { method: 'POST', headers: fresh.headers(), body })) as { result?: unknown };
        expect(reply.result).toBeDefined();
        // Time for the key to reach the other worker, as it has between a person's two calls.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const [after, again] = [await scrape(), await scrape()];
      const delta = (name: string, labels?: string) => metricValue(after, name, labels) - metricValue(before, name, labels);
      expect(delta('pkgw_rpc_requests_total', 'method="initiateAuthentication",outcome="ok"')).toBe(6);
      expect(delta('pkgw_rsa_unwrap_cache_misses_total')).toBe(1);
      expect(delta('pkgw_rsa_unwrap_cache_hits_total')).toBe(5);
      // Held by both workers' caches.
      expect(delta('pkgw_rsa_unwrap_cache_entries')).toBe(2);
      expect(metricValue(again, 'pkgw_rpc_requests_total')).toBe(metricValue(after, 'pkgw_rpc_requests_total'));
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 90_000);
});
