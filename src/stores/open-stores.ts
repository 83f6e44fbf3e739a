import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { AccountStore } from './account-store.js';
import type { ChallengeStore } from './challenge-store.js';
import { MemoryChallengeStore, type ChallengeEviction } from './memory-challenge-store.js';
import { PostgresAccountStore } from './postgres-account-store.js';
import { RedisChallengeStore } from './redis-challenge-store.js';
import { createConfiguredRedis, type RedisLike } from './redis-client.js';
import { redisKeySpace } from './redis-keys.js';
import { SqliteAccountStore } from './sqlite-account-store.js';

export interface Stores {
  challenges: ChallengeStore;
  accounts: AccountStore;
  /** The challenge store's Redis client, shared with the rate limiter; null when challenges are in-process. */
  redis?: RedisLike | null;
  /** Human-readable description of the backends, for the start banner. */
  describe: { challenges: string; accounts: string };
}

export interface StoreHooks {
  /** Told each live in-process challenge dropped to make room (for the metrics). */
  onChallengeEviction?: (bound: ChallengeEviction) => void;
}

/** Redis and PostgreSQL when configured; otherwise in-process challenges and a SQLite file. */
export async function openStores(config: Config, hooks: StoreHooks = {}): Promise<Stores> {
  const redis = createConfiguredRedis(config, { commandTimeoutMs: config.serviceTimeoutMs });
  const challenges: ChallengeStore =
    redis !== null
      ? new RedisChallengeStore({ redis, keyPrefix: redisKeySpace(config.redisKeyPrefix).namespace('challenge') })
      : new MemoryChallengeStore({
          maxEntries: config.memoryChallengeLimit,
          maxEntriesPerOwner: config.memoryChallengeLimitPerIp,
          onEvict: hooks.onChallengeEviction,
        });
  let accounts: AccountStore;
  try {
    accounts = config.databaseUrl
      ? await PostgresAccountStore.open({ connectionString: config.databaseUrl, schema: config.databaseSchema })
      : new SqliteAccountStore(join(config.dataDir, 'gateway.db'));
  } catch (error) {
    await challenges.close();
    throw error;
  }
  return {
    challenges,
    accounts,
    redis,
    describe: {
      challenges: describeChallenges(config),
      accounts: config.databaseUrl ? `postgresql (${redactUrl(config.databaseUrl)})` : `sqlite (${join(config.dataDir, 'gateway.db')})`,
    },
  };
}

function describeChallenges(config: Config): string {
  if (config.redisClusterNodes.length > 0) return `redis cluster (${config.redisClusterNodes.map(redactUrl).join(', ')})`;
  return config.redisUrl ? `redis (${redactUrl(config.redisUrl)})` : 'in-process memory';
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
