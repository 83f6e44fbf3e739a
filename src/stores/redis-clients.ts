import { Cluster, Redis } from 'ioredis';

/** Either a single Redis server (or a Sentinel-managed one) or a Redis Cluster: the commands the stores use are the same. */
export type RedisLike = Redis | Cluster;

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

/**
 * A Redis Cluster client tuned like createRedisClient: bounded command time, one retry, endless
 * capped reconnects. The stores only issue single-key commands (SET PX and GETDEL on a challenge
 * key, the rate limiter's script on one counter key), so every command lands on exactly one slot
 * and no hash tags are needed; MULTI or multi-key commands added later must put their keys in one `{tag}`.
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

/** The client of the challenge store and the rate-limit counters as configured: a Cluster when seed nodes are given, else one server. */
export function createConfiguredRedis(config: { redisUrl: string | undefined; redisClusterNodes: string[] }, options: RedisClientOptions = {}): RedisLike | null {
  if (config.redisClusterNodes.length > 0) return createRedisClusterClient(config.redisClusterNodes, options);
  if (config.redisUrl !== undefined) return createRedisClient(config.redisUrl, options);
  return null;
}
