// WORKERS: several gateway processes behind one port through node:cluster; tests and the CLI stay
// single-process because they never go through main.ts's primary.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { fetchEncryptionKey, RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { effectiveWorkers } from '../../src/cluster/workers.js';
import { loadConfig } from '../../src/config/config.js';
import { createRedisClient } from '../../src/stores/redis-challenge-store.js';
import { databaseUrl, describeWithPostgres, redisAvailable, redisUrl } from '../support/backends.js';
import { register, sessionCall, signIn } from '../support/ceremonies.js';
import { TEST_ORIGIN } from '../support/gateway-harness.js';
import { freePort } from '../../scripts/lib/local-services.js';
import { buildGateway, spawnBuiltGateway } from '../support/built-gateway.js';


describe('WORKERS and REDIS_CLUSTER_NODES configuration', () => {
  test('WORKERS defaults to the number of cores and is honoured only with shared challenges', () => {
    const defaults = loadConfig({});
    expect(defaults.workers).toBeGreaterThanOrEqual(1);
    expect(effectiveWorkers(loadConfig({ WORKERS: '4' }))).toBe(1);
    expect(effectiveWorkers(loadConfig({ WORKERS: '4', REDIS_URL: 'redis://127.0.0.1:6379' }))).toBe(4);
    expect(effectiveWorkers(loadConfig({ WORKERS: '3', REDIS_CLUSTER_NODES: '127.0.0.1:7000' }))).toBe(3);
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

const describeWithBoth = redisAvailable ? describeWithPostgres : describe.skip;


function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describeWithBoth('npm start with WORKERS=2 on Redis and PostgreSQL', () => {
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
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.end();
    const redis = createRedisClient(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  test('two worker processes share the port, print one banner, serve ceremonies and stop on SIGTERM', async () => {
    const port = await freePort();
    const gateway = spawnBuiltGateway({
        DATA_DIR: dataDir,
        PORT: String(port),
        LOG_LEVEL: 'silent',
        WORKERS: '2',
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: prefix,
        DATABASE_URL: databaseUrl,
        DATABASE_SCHEMA: schema,
        ALLOWED_ORIGINS: TEST_ORIGIN,
    });
    const { child, exited } = gateway;
    try {
      await gateway.waitFor('development scope id', 30_000, () => childrenOf(child.pid!).length >= 2);
      const stdout = gateway.stdout();
      expect(childrenOf(child.pid!)).toHaveLength(2);
      expect(stdout.match(/listening on/g)).toHaveLength(1);
      const scopeId = /development scope id: ([0-9a-f-]{36})/.exec(stdout)?.[1];
      expect(scopeId).toBeDefined();

      const url = `http://127.0.0.1:${port}/`;
      const publicKey = await fetchEncryptionKey(url);
      const client = new RpcClient(url, scopeId!, publicKey);
      const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
      await register(client, authenticator, 'worker-user');
      const session = await signIn(client, authenticator, 'worker-user');
      expect((await sessionCall(client, session, 'getAccount')).result).toMatchObject({ username: 'worker-user' });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 90_000);
});
