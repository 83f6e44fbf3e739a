import { Redis, type Cluster } from 'ioredis';
import type { ChallengeStore } from './challenge-store.js';
import { assertValidTtl } from './challenge-ttl.js';

export interface RedisChallengeStoreOptions {
  /** An ioredis client or Cluster (see redis-client.ts): every command here touches a single key. */
  redis: Redis | Cluster;
  /** Namespace of this gateway's challenge keys (see redis-keys.ts), e.g. `pkgw:challenge:`. */
  keyPrefix: string;
}

/**
 * ChallengeStore shared by any number of gateway processes. Atomicity comes from Redis itself:
 * `GETDEL` (Redis >= 6.2) reads and removes in one step, and `PX` makes Redis expire entries.
 * Redis errors are not caught here; they reject and the caller maps them to service_unavailable.
 */
export class RedisChallengeStore implements ChallengeStore {
  private readonly redis: Redis | Cluster;
  private readonly keyPrefix: string;

  constructor(options: RedisChallengeStoreOptions) {
    this.redis = options.redis;
    this.keyPrefix = options.keyPrefix;
  }

  async put(id: string, value: string, ttlMs: number): Promise<void> {
    assertValidTtl(ttlMs);
    await this.redis.set(this.key(id), value, 'PX', Math.ceil(ttlMs));
  }

  async consume(id: string): Promise<string | null> {
    return this.redis.getdel(this.key(id));
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    if (this.redis.status !== 'ready') {
      // Nothing to flush politely; QUIT would only wait in the offline queue for a connection.
      this.redis.disconnect();
      return;
    }
    try {
      await this.redis.quit();
    } catch {
      // QUIT can fail on a broken connection; dropping the socket is all that is left to do.
      this.redis.disconnect();
    }
  }

  private key(id: string): string {
    return this.keyPrefix + id;
  }
}

export interface RedisClientOptions {
  /** Longest a command may wait, including time queued while (re)connecting. Default 2000 ms. */
  commandTimeoutMs?: number;
  /** Connection-level errors (also reported through rejected commands); default: ignored. */
  onError?: (error: Error) => void;
}

/**
 * An ioredis client tuned to fail fast rather than hang a request:
 * - the offline queue stays on so commands issued right after construction wait for the first
 *   connect instead of failing, while `commandTimeout` bounds that wait (and any other);
 * - `maxRetriesPerRequest: 1` stops a command from being replayed across many reconnects;
 * - reconnects continue forever with capped exponential backoff, so the gateway heals by itself.
 * A timed-out command may still reach Redis later; for challenges that only means a value is
 * stored or consumed after the caller already gave up, which the protocol tolerates.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const commandTimeoutMs = options.commandTimeoutMs ?? 2000;
  const client = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: true,
    enableReadyCheck: true,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(commandTimeoutMs, 1000),
    // Grace period for a socket to close after disconnect() before it is destroyed. ioredis arms
    // it even when the socket is already gone (closing while reconnecting), delaying exit by it.
    disconnectTimeout: commandTimeoutMs,
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 10), 5000),
  });
  // Without a listener ioredis logs every connection error as "Unhandled error event".
  client.on('error', options.onError ?? (() => {}));
  return client;
}
