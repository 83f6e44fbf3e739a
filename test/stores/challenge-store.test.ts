import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { MemoryChallengeStore } from '../../src/stores/memory-challenge-store.js';
import { RedisChallengeStore } from '../../src/stores/redis-challenge-store.js';
import { createRedisClient } from '../../src/stores/redis-clients.js';
import { describeWithRedis, redisUrl } from '../support/backends.js';
import { runChallengeStoreContract } from './challenge-store.contract.js';
import { deleteRedisPrefix } from '../../scripts/lib/local-services.js';

runChallengeStoreContract('MemoryChallengeStore', () => {
  const store = new MemoryChallengeStore();
  return { store, cleanup: () => store.close() };
});

describeWithRedis('RedisChallengeStore', () => {
  // Every key this run writes lives under one random prefix, deleted in afterAll.
  const runPrefix = `pkgw-test:${randomUUID()}:`;
  let admin: Redis;
  let storeCount = 0;

  beforeAll(() => {
    admin = createRedisClient(redisUrl);
  });

  afterAll(async () => {
    await deleteRedisPrefix(redisUrl, runPrefix);
    await admin.quit();
  });

  const newStore = () => {
    storeCount += 1;
    return new RedisChallengeStore({ redis: createRedisClient(redisUrl), keyPrefix: `${runPrefix}${storeCount}:` });
  };

  runChallengeStoreContract('RedisChallengeStore', () => {
    const store = newStore();
    return { store, cleanup: () => store.close() };
  });

  test('keys carry the prefix and a Redis-side expiry', async () => {
    const store = newStore();
    try {
      await store.put('abc', 'v', 30_000);
      const [key] = await scanKeys(admin, `${runPrefix}${storeCount}:*`);
      expect(key).toBe(`${runPrefix}${storeCount}:abc`);
      const ttl = await admin.pttl(`${runPrefix}${storeCount}:abc`);
      expect(ttl).toBeGreaterThan(25_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
    } finally {
      await store.close();
    }
  });

  test('ten separate connections racing on one id: exactly one wins', async () => {
    const stores = Array.from({ length: 10 }, () =>
      new RedisChallengeStore({ redis: createRedisClient(redisUrl), keyPrefix: `${runPrefix}race:` }),
    );
    try {
      await Promise.all(stores.map((store) => store.ping()));
      await stores[0]!.put('contended', 'winner-takes-it', 30_000);
      const results = await Promise.all(stores.map((store) => store.consume('contended')));
      expect(results.filter((value) => value !== null)).toEqual(['winner-takes-it']);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  test('a command issued right after createRedisClient waits for the connection', async () => {
    const store = newStore();
    try {
      await store.put('early', 'ok', 30_000);
      await expect(store.consume('early')).resolves.toBe('ok');
    } finally {
      await store.close();
    }
  });
});

describe('createRedisClient against an unavailable server (no Redis needed)', () => {
  const commandTimeoutMs = 300;

  test('refused connection: commands reject quickly instead of hanging', async () => {
    // Port 1 on loopback refuses connections.
    const store = new RedisChallengeStore({
      redis: createRedisClient('redis://127.0.0.1:1', { commandTimeoutMs }),
      keyPrefix: 'unreachable:',
    });
    const started = Date.now();
    try {
      await expect(store.ping()).rejects.toThrow();
      await expect(store.put('x', 'v', 1000)).rejects.toThrow();
      await expect(store.consume('x')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await store.close();
      // Closing while reconnecting leaves ioredis's disconnect grace timer (= commandTimeoutMs) armed.
      await sleep(commandTimeoutMs + 50);
    }
  });

  test('silent server: commands reject after the command timeout', async () => {
    // Accepts TCP connections and never answers, like a hung Redis or a black-holed network.
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const store = new RedisChallengeStore({
      redis: createRedisClient(`redis://127.0.0.1:${port}`, { commandTimeoutMs }),
      keyPrefix: 'silent:',
    });
    const started = Date.now();
    try {
      await expect(store.consume('x')).rejects.toThrow(/timed out/i);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await store.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}
