/**
 * Jest globalSetup: probes Redis and PostgreSQL once per run and hands the outcome to the test
 * workers through environment variables (workers are forked after this runs and inherit them).
 * Down backends skip their suites locally, with a loud notice, and fail the run when CI=true.
 *
 * Jest loads this file with Node's own loader, not the test runtime, so `.js` -> `.ts` mapping does
 * not apply here: it must not import project files. test/support/backends.ts imports the probes
 * from this module instead.
 */
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';

export default async function globalSetup(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? defaultRedisUrl;
  const databaseUrl = process.env.DATABASE_URL ?? defaultDatabaseUrl;
  const [redis, postgres] = await Promise.all([probeRedis(redisUrl), probePostgres(databaseUrl)]);
  process.env[stateEnv.redis] = redis.state;
  process.env[stateEnv.postgres] = postgres.state;

  const outages: Outage[] = [];
  if (redis.state === 'down') outages.push(outageFor('redis', redisUrl, redis.detail));
  if (postgres.state === 'down') outages.push(outageFor('postgres', databaseUrl, postgres.detail));
  if (outages.length === 0) return;
  if (process.env.CI === 'true') throw ciFailure(outages);
  console.warn(skipNotice(outages));
}

export type BackendState = 'up' | 'down';

export interface ProbeResult {
  state: BackendState;
  /** Why a backend counts as down (the connection error), or a short confirmation. */
  detail: string;
}

/** Environment variables carrying the probe outcome from globalSetup to the test workers. */
export const stateEnv = { redis: 'PKGW_TEST_REDIS', postgres: 'PKGW_TEST_POSTGRES' } as const;

export const defaultRedisUrl = 'redis://127.0.0.1:6379';
export const defaultDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/test';

const probeTimeoutMs = 1500;

export async function probeRedis(url: string): Promise<ProbeResult> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: probeTimeoutMs,
    commandTimeout: probeTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    disconnectTimeout: 100,
  });
  // connect() only rejects with "Connection is closed."; the socket error says why.
  let socketError: unknown;
  client.on('error', (error) => {
    socketError = error;
  });
  try {
    await client.connect();
    await client.ping();
    return { state: 'up', detail: 'PING answered' };
  } catch (error) {
    return { state: 'down', detail: describeError(socketError ?? error) };
  } finally {
    // After a failed connect the client is already 'end'; disconnecting again would arm a timer
    // on the dead socket that holds the process open for disconnectTimeout.
    if (client.status !== 'end') client.disconnect();
  }
}

export async function probePostgres(url: string): Promise<ProbeResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: probeTimeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { state: 'up', detail: 'SELECT 1 answered' };
  } catch (error) {
    return { state: 'down', detail: describeError(error) };
  } finally {
    await client.end().catch(() => {});
  }
}

export interface Outage {
  service: 'Redis' | 'PostgreSQL';
  url: string;
  urlEnv: 'REDIS_URL' | 'DATABASE_URL';
  helper: 'describeWithRedis' | 'describeWithPostgres';
  example: string;
  detail: string;
}

export function outageFor(service: 'redis' | 'postgres', url: string, detail: string): Outage {
  return service === 'redis'
    ? {
        service: 'Redis',
        url,
        urlEnv: 'REDIS_URL',
        helper: 'describeWithRedis',
        example: 'RedisChallengeStore contract (test/stores/challenge-store.test.ts)',
        detail,
      }
    : {
        service: 'PostgreSQL',
        url,
        urlEnv: 'DATABASE_URL',
        helper: 'describeWithPostgres',
        example: 'SQL store contracts on PostgreSQL (test/stores/sql-stores.test.ts, postgres-database.test.ts)',
        detail,
      };
}

/** The loud banner printed when suites are skipped; skipping silently would hide lost coverage. */
export function skipNotice(outages: Outage[]): string {
  const bar = '='.repeat(78);
  const lines = [
    '',
    bar,
    '  WARNING: BACKEND TEST SUITES SKIPPED - a backing service is not reachable',
    bar,
  ];
  for (const outage of outages) {
    lines.push(
      `  ${outage.service} at ${redactUrl(outage.url)}: ${outage.detail}`,
      `    skipped: every suite wrapped in ${outage.helper}, e.g. ${outage.example}`,
    );
  }
  lines.push(
    '',
    '  To run them: start the service(s) locally (Redis >= 6.2, PostgreSQL with trust auth),',
    '  or point REDIS_URL / DATABASE_URL at reachable instances, then re-run the tests.',
    '  With CI=true an unreachable backend fails the run instead of skipping.',
    bar,
    '',
  );
  return lines.join('\n');
}

export function ciFailure(outages: Outage[]): Error {
  const which = outages.map((o) => `${o.service} at ${redactUrl(o.url)} (${o.detail}; set ${o.urlEnv})`);
  return new Error(`CI=true and backing services are unreachable, refusing to skip: ${which.join('; ')}`);
}

/** Duck-typed: errors raised by Node itself are not `instanceof Error` inside jest's sandbox. */
function describeError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { errors, message, name } = error as { errors?: unknown; message?: unknown; name?: unknown };
  // Connecting to "localhost" tries ::1 and 127.0.0.1 and reports both in an AggregateError.
  if (Array.isArray(errors) && errors.length > 0) return describeError(errors[0]);
  if (typeof message === 'string' && message !== '') return message;
  return typeof name === 'string' ? name : inspect(error, { breakLength: Infinity });
}

/** Keeps passwords embedded in connection URLs out of test logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
