import { Cluster, type Redis } from 'ioredis';
import { createRedisClient, type RedisClientOptions } from './redis-challenge-store.js';

/** Either a single Redis server (or a Sentinel-managed one) or a Redis Cluster: the commands the stores use are the same. */
export type RedisLike = Redis | Cluster;

/**
 * A Redis Cluster client tuned like createRedisClient: bounded command time, one retry, endless
 * capped reconnects. The stores only issue single-key commands (SET PX, GET, GETDEL on one
 * challenge or revocation key), so every command lands on exactly one slot and no hash tags are
 * needed; MULTI or multi-key commands added later must put their keys in one `{tag}`.
 * `nodes` are redis:// URLs; credentials, if any, are taken from the first one.
 */
export function createRedisClusterClient(nodes: string[], options: RedisClientOptions = {}): Cluster {
  if (nodes.length === 0) throw new Error('a Redis Cluster needs at least one seed node');
  const commandTimeoutMs = options.commandTimeoutMs ?? 2000;
  const seeds = nodes.map((node) => new URL(node));
  const first = seeds[0]!;
  const cluster = new Cluster(
    seeds.map((url) => ({ host: url.hostname, port: Number(url.port) })),
    {
      enableOfflineQueue: true,
      enableReadyCheck: true,
      // Writes and reads both go to masters: a replica may not have seen a challenge yet.
      scaleReads: 'master',
      slotsRefreshTimeout: Math.max(commandTimeoutMs, 1000),
      clusterRetryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 10), 5000),
      redisOptions: {
        username: first.username === '' ? undefined : decodeURIComponent(first.username),
        password: first.password === '' ? undefined : decodeURIComponent(first.password),
        tls: first.protocol === 'rediss:' ? {} : undefined,
        maxRetriesPerRequest: 1,
        commandTimeout: commandTimeoutMs,
        connectTimeout: Math.max(commandTimeoutMs, 1000),
        disconnectTimeout: commandTimeoutMs,
      },
    },
  );
  cluster.on('error', options.onError ?? (() => {}));
  return cluster;
}

/** The challenge store's client as configured: a Cluster when seed nodes are given, else one server. */
export function createConfiguredRedis(config: { redisUrl: string | undefined; redisClusterNodes: string[] }, options: RedisClientOptions = {}): RedisLike | null {
  if (config.redisClusterNodes.length > 0) return createRedisClusterClient(config.redisClusterNodes, options);
  if (config.redisUrl !== undefined) return createRedisClient(config.redisUrl, options);
  return null;
}
