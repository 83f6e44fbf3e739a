import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { GatewayError } from '../errors/gateway-error.js';
import type { Scope } from '../domain/scope.js';
import type { RedisLike } from '../stores/redis-clients.js';

const WINDOW_SECONDS = 60;

export interface RateLimitDefaults {
  ipPerMinute: number;
  userPerMinute: number;
}

/** Counts ceremony calls (initiate* and complete*) and refuses them with `rate_limited` over a scope's limits. */
export interface CeremonyRateLimiter {
  /** One call from this client address in this scope. */
  consumeClient(scope: Scope, clientIp: string): Promise<void>;
  /** One call for this (normalized) username in this scope. */
  consumeUser(scope: Scope, usernameKey: string): Promise<void>;
}

type Kind = 'ip' | 'user';

/**
 * Fixed one-minute windows, kept in Redis when the gateway has Redis (so every process shares the
 * counts) and in process memory otherwise. When Redis is not connected the counts fall back to
 * process memory at once rather than waiting: the ceremony itself will answer service_unavailable.
 */
/** `keyPrefix` is the rate-limit namespace of the Redis key space (see stores/redis-keys.ts). */
export function createCeremonyRateLimiter(options: { redis: RedisLike | null; keyPrefix: string; defaults: RateLimitDefaults }): CeremonyRateLimiter {
  const { redis, keyPrefix, defaults } = options;
  // One limiter per (kind, limit): limits are per scope and may change at any time. Counts live
  // under keys without the limit in them, so a changed limit applies to the running window.
  const limiters = new Map<string, RateLimiterAbstract>();
  const limiterFor = (kind: Kind, points: number): RateLimiterAbstract => {
    const id = `${kind}:${points}`;
    let limiter = limiters.get(id);
    if (limiter === undefined) {
      const memory = new RateLimiterMemory({ points, duration: WINDOW_SECONDS, keyPrefix: `${keyPrefix}${kind}` });
      limiter =
        redis === null
          ? memory
          : new RateLimiterRedis({
              storeClient: redis,
              points,
              duration: WINDOW_SECONDS,
              keyPrefix: `${keyPrefix}${kind}`,
              rejectIfRedisNotReady: true,
              insuranceLimiter: memory,
            });
      limiters.set(id, limiter);
    }
    return limiter;
  };

  const consume = async (kind: Kind, limit: number, key: string): Promise<void> => {
    if (limit === 0) return;
    try {
      await limiterFor(kind, limit).consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        throw new GatewayError('rate_limited', `${kind} limit ${limit}/min reached; retry in ${Math.ceil(rejection.msBeforeNext / 1000)} s`);
      }
      throw new GatewayError('service_unavailable', 'rate limiter store failed', { cause: rejection });
    }
  };

  return {
    consumeClient(scope, clientIp) {
      return consume('ip', scope.rate_limit_ip_per_minute ?? defaults.ipPerMinute, `${scope.scope_id}:${clientIp}`);
    },
    consumeUser(scope, usernameKey) {
      // Hashed, so the shared store holds no usernames and keys stay short.
      const user = createHash('sha256').update(usernameKey).digest('base64url');
      return consume('user', scope.rate_limit_user_per_minute ?? defaults.userPerMinute, `${scope.scope_id}:${user}`);
    },
  };
}
