import { assertValidTtl, type ChallengeStore } from './challenge-store.js';
import type { RedisLike } from './redis-clients.js';

export interface RedisChallengeStoreOptions {
  /** An ioredis client or Cluster (see redis-clients.ts): every command here touches a single key. */
  redis: RedisLike;
  /** Namespace of this gateway's challenge keys (see redis-keys.ts), e.g. `pkgw:challenge:`. */
  keyPrefix: string;
}

/**
 * ChallengeStore shared by any number of gateway processes. Atomicity comes from Redis itself:
 * `GETDEL` (Redis >= 6.2) reads and removes in one step, and `PX` makes Redis expire entries.
 * Redis errors are not caught here; they reject and the caller maps them to service_unavailable.
 */
export class RedisChallengeStore implements ChallengeStore {
  private readonly redis: RedisLike;
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
