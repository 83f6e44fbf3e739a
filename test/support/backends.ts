/**
 * Where the store tests find Redis and PostgreSQL, and describe() variants that skip a suite when
 * its backend is down. The up/down decision normally comes from test/global-setup.ts; if that hook
 * is not configured this module probes by itself (once per test file).
 */
import {
  ciFailure,
  defaultDatabaseUrl,
  defaultRedisUrl,
  outageFor,
  probePostgres,
  probeRedis,
  skipNotice,
  stateEnv,
  type BackendState,
  type ProbeResult,
} from '../global-setup.js';

export const redisUrl = process.env.REDIS_URL ?? defaultRedisUrl;
export const databaseUrl = process.env.DATABASE_URL ?? defaultDatabaseUrl;

async function resolveState(
  service: 'redis' | 'postgres',
  url: string,
  probe: (url: string) => Promise<ProbeResult>,
): Promise<BackendState> {
  const fromSetup = process.env[stateEnv[service]];
  if (fromSetup === 'up' || fromSetup === 'down') return fromSetup;
  const result = await probe(url);
  if (result.state === 'down') {
    const outage = outageFor(service, url, result.detail);
    if (process.env.CI === 'true') throw ciFailure([outage]);
    // Printed per test file: without the globalSetup hook there is no single place to print it once.
    console.warn(`${skipNotice([outage])}  (test/global-setup.ts is not configured as jest globalSetup; probed from this file.)\n`);
  }
  return result.state;
}

const [redisState, postgresState] = await Promise.all([
  resolveState('redis', redisUrl, probeRedis),
  resolveState('postgres', databaseUrl, probePostgres),
]);

export const redisAvailable = redisState === 'up';
export const postgresAvailable = postgresState === 'up';

/** `describe` when Redis is reachable, otherwise `describe.skip` (tests are reported as skipped). */
export const describeWithRedis: jest.Describe = redisAvailable ? describe : describe.skip;
/** `describe` when PostgreSQL is reachable, otherwise `describe.skip`. */
export const describeWithPostgres: jest.Describe = postgresAvailable ? describe : describe.skip;
/** `describe` when both Redis and PostgreSQL are reachable, otherwise `describe.skip`. */
export const describeWithRedisAndPostgres: jest.Describe = redisAvailable && postgresAvailable ? describe : describe.skip;

/** The backend pairs a whole gateway can run on (kept in step with gateway-harness.ts's Backend). */
export type TestBackend = 'embedded' | 'redis+postgres';

/**
 * Declares the suite once per backend: always on the embedded stores (memory + SQLite), and on
 * Redis + PostgreSQL when both are reachable (skipped, and reported as skipped, otherwise).
 */
export function describeForBackends(name: string, fn: (backend: TestBackend) => void): void {
  describe(`${name} [embedded]`, () => fn('embedded'));
  const describeReal = redisAvailable && postgresAvailable ? describe : describe.skip;
  describeReal(`${name} [redis+postgres]`, () => fn('redis+postgres'));
}
