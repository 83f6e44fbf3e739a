import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { rateLimitCounters } from '../../src/stores/rate-limit-counters.js';
import { createRedisClient } from '../../src/stores/redis-clients.js';
import { deleteRedisPrefix } from '../../scripts/lib/local-services.js';
import { describeWithRedis, redisUrl } from '../support/backends.js';
import { runRateLimitCountersContract } from './rate-limit-counters.contract.js';

runRateLimitCountersContract('in-process counters', () => ({
  counters: rateLimitCounters({ redis: null, keyPrefix: 'test:' }),
  cleanup: async () => {},
}));

describeWithRedis('Redis counters', () => {
  // Every key this run writes lives under one random prefix, deleted in afterAll.
  const runPrefix = `pkgw-test:${randomUUID()}:`;
  let redis: Redis;

  beforeAll(() => {
    redis = createRedisClient(redisUrl);
  });

  afterAll(async () => {
    await deleteRedisPrefix(redisUrl, runPrefix);
    await redis.quit();
  });

  runRateLimitCountersContract('Redis counters', () => ({
    counters: rateLimitCounters({ redis, keyPrefix: `${runPrefix}${randomUUID()}:` }),
    cleanup: async () => {},
  }));

  test('a count lives under the namespace with a Redis-side expiry of its window', async () => {
    const prefix = `${runPrefix}ttl:`;
    await rateLimitCounters({ redis, keyPrefix: prefix }).consume('ip:scope:192.0.2.1', 5, 60);
    await expect(redis.get(`${prefix}ip:scope:192.0.2.1`)).resolves.toBe('1');
    const ttl = await redis.pttl(`${prefix}ip:scope:192.0.2.1`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

describe('Redis counters while Redis cannot be reached (no Redis needed)', () => {
  test('count in process memory at once instead of failing or waiting', async () => {
    const unreachable = createRedisClient('redis://127.0.0.1:1', { commandTimeoutMs: 300 });
    try {
      const counters = rateLimitCounters({ redis: unreachable, keyPrefix: 'unreachable:' });
      const started = Date.now();
      const counts = [];
      for (let i = 0; i < 3; i += 1) counts.push((await counters.consume('key', 2, 60)).allowed);
      expect(counts).toEqual([true, true, false]);
      expect(Date.now() - started).toBeLessThan(200);
    } finally {
      unreachable.disconnect();
      // Closing while reconnecting leaves ioredis's disconnect grace timer (= commandTimeoutMs) armed.
      await new Promise((resolve) => setTimeout(resolve, 350));
    }
  });
});
