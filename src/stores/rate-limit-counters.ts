import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisLike } from './redis-clients.js';

export interface RateLimitCount {
  /** Whether this call is within the limit. */
  allowed: boolean;
  /** When the window of the key's count ends. */
  msBeforeNext: number;
}

/** Calls counted per key in fixed windows; what counts as too many is the caller's policy. */
export interface RateLimitCounters {
  /** Counts one call under `key` in windows of `windowSeconds`; allowed while the window holds at most `limit` (a positive integer). */
  consume(key: string, limit: number, windowSeconds: number): Promise<RateLimitCount>;
  /** Takes one counted call back (one that turned out not to count, such as a successful attempt). */
  refund(key: string, windowSeconds: number): Promise<void>;
}

/**
 * Counters in Redis when the gateway has Redis (every process shares them), in process memory
 * otherwise. While Redis is not connected they count in memory at once rather than waiting: the
 * ceremony itself will answer service_unavailable. A count does not depend on the limit, so a
 * changed limit applies to the running window. `keyPrefix` is the rate-limit namespace of the key
 * space (see redis-keys.ts).
 */
export function rateLimitCounters(options: { redis: RedisLike | null; keyPrefix: string }): RateLimitCounters {
  const { redis, keyPrefix } = options;
  // The limiters only count: with no limit of their own they never refuse.
  const points = Number.MAX_SAFE_INTEGER;
  const byWindow = new Map<number, RateLimiterAbstract>();
  const counterFor = (duration: number): RateLimiterAbstract => {
    let counter = byWindow.get(duration);
    if (counter === undefined) {
      const memory = new RateLimiterMemory({ points, duration, keyPrefix: '' });
      counter =
        redis === null
          ? memory
          : new RateLimiterRedis({ storeClient: redis, points, duration, keyPrefix: '', rejectIfRedisNotReady: true, insuranceLimiter: memory });
      byWindow.set(duration, counter);
    }
    return counter;
  };

  return {
    async consume(key, limit, windowSeconds) {
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
      const counted = await counterFor(windowSeconds).consume(keyPrefix + key);
      return { allowed: counted.consumedPoints <= limit, msBeforeNext: counted.msBeforeNext };
    },
    async refund(key, windowSeconds) {
      await counterFor(windowSeconds).reward(keyPrefix + key, 1);
    },
  };
}
