// A bounded soak: mixed valid and hostile traffic against a gateway this script starts on Redis and
// PostgreSQL (its own key prefix and schema, both removed at the end).
//   npm run soak -- [--seconds 180] [--valid-workers 2] [--hostile-workers 6]
//                   [--redis-url redis://127.0.0.1:6379] [--database-url postgres://postgres@127.0.0.1:5432/test]
// Prints valid ceremonies completed and failed, hostile requests answered, 5xx count and memory at
// start and end. Exit code 0 only when no valid ceremony failed, nothing answered 5xx and every
// hostile answer was well-formed.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { createGateway, type Gateway } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/log/logger.js';
import { scopeSettingsSchema } from '../src/domain/scope.js';
import { ceremoniesFor } from './lib/ceremonies.js';
import { hostilePlans, type Plan } from './lib/hostile/hostile-requests.js';
import { newTally, prepareFixture, runPlan, type Tally } from './lib/hostile/hostile-runner.js';
import { RpcClient } from './lib/rpc-client.js';
import { SoftAuthenticator } from './lib/soft-authenticator.js';
import { deleteRedisPrefix, dropPostgresSchema } from './lib/local-services.js';

const ORIGIN = 'http://localhost:8788';
/** Hostile plans are drawn in batches of this many from fast-check, each batch with a new seed. */
const PLAN_BATCH = 200;

interface Figures {
  validCompleted: number;
  validFailed: number;
  validFailures: Record<string, number>;
  hostileAnswered: number;
  hostileWrong: number;
  hostileWrongSamples: string[];
  status5xx: number;
}

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '180' },
    'valid-workers': { type: 'string', default: '2' },
    'hostile-workers': { type: 'string', default: '6' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
  },
});

function positiveInt(name: string, value: string | undefined, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) throw new Error(`--${name} must be an integer from 1 to ${max}`);
  return parsed;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
interface Memory {
  heapMiB: number;
  externalMiB: number;
  rssMiB: number;
}
function memory(): Memory {
  gc();
  const { heapUsed, external, rss } = process.memoryUsage();
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  return { heapMiB: mib(heapUsed), externalMiB: mib(external), rssMiB: mib(rss) };
}
const showMemory = (m: Memory) => `heap ${m.heapMiB} MiB, external ${m.externalMiB} MiB, rss ${m.rssMiB} MiB`;

async function main(): Promise<number> {
  const seconds = positiveInt('seconds', args.seconds, 24 * 3600);
  const validWorkers = positiveInt('valid-workers', args['valid-workers'], 64);
  const hostileWorkers = positiveInt('hostile-workers', args['hostile-workers'], 64);
  const dataDir = mkdtempSync(join(tmpdir(), 'pkgw-soak-'));
  const keyPrefix = `pkgw-soak:${randomUUID()}:`;
  const schema = `pkgw_soak_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    METRICS_PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    REDIS_URL: args['redis-url'],
    REDIS_KEY_PREFIX: keyPrefix,
    DATABASE_URL: args['database-url'],
    DATABASE_SCHEMA: schema,
    // All traffic comes from one loopback address: per-IP and per-user limits would turn the
    // hostile load into rate_limited answers for the valid ceremonies too.
    RATE_LIMIT_IP_PER_MINUTE: '0',
    RATE_LIMIT_USER_PER_MINUTE: '0',
  });

  let gateway: Gateway | undefined;
  try {
    gateway = await createGateway(config, createLogger('silent'));
    const url = await gateway.listen();
    const newScope = async (name: string) => {
      const parsed = scopeSettingsSchema.parse({ name, rp_id: 'localhost', origins: [ORIGIN] });
      return (await gateway!.stores.scopes.createScope({ ...parsed, rp_name: parsed.rp_name ?? parsed.name, scope_id: randomUUID() })).scope_id;
    };
    const scopeA = await newScope('soak');
    const scopeB = await newScope('soak-other');
    await gateway.scopes.refresh();
    const publicKey = gateway.rsaKeys.current.publicKeySpki;
    const fixture = await prepareFixture({ url, publicKey, scopeA, scopeB, origin: ORIGIN });

    const figures: Figures = { validCompleted: 0, validFailed: 0, validFailures: {}, hostileAnswered: 0, hostileWrong: 0, hostileWrongSamples: [], status5xx: 0 };
    const tally = newTally();
    const start = memory();
    process.stdout.write(`soak: ${seconds} s against ${url} (Redis prefix ${keyPrefix}, PostgreSQL schema ${schema}); ${validWorkers} valid and ${hostileWorkers} hostile workers\n`);
    const startedAt = Date.now();
    const deadline = startedAt + seconds * 1000;
    let warm: Memory | undefined;
    const progress = setInterval(() => {
      // The first 30 s load every code path once; later growth is what would matter.
      warm ??= memory();
      process.stdout.write(`  ${Math.round((Date.now() - startedAt) / 1000)} s: valid ${figures.validCompleted} ok / ${figures.validFailed} failed, hostile ${figures.hostileAnswered} answered / ${figures.hostileWrong} wrong, 5xx ${figures.status5xx}\n`);
    }, 30_000);

    const ceremonies = ceremoniesFor(ORIGIN);
    const validWorker = async () => {
      while (Date.now() < deadline) {
        try {
          const client = new RpcClient(url, scopeA, publicKey, ORIGIN);
          const authenticator = new SoftAuthenticator({ algorithm: Math.random() < 0.5 ? 'ES256' : 'EdDSA', attestation: 'none' });
          const username = `soak-${randomUUID()}`;
          await ceremonies.register(client, authenticator, username);
          const session = await ceremonies.signIn(client, authenticator, username);
          const account = await ceremonies.sessionCall(client, session, 'getAccount');
          if (account.error !== undefined || (account.result as { username?: string }).username !== username) throw new Error(`getAccount ${account.error?.data ?? 'wrong account'}`);
          const logout = await ceremonies.sessionCall(client, session, 'logout');
          if (logout.error !== undefined) throw new Error(`logout ${logout.error.data}`);
          figures.validCompleted += 1;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (/HTTP 5\d\d/.test(message)) figures.status5xx += 1;
          figures.validFailed += 1;
          figures.validFailures[message] = (figures.validFailures[message] ?? 0) + 1;
        }
      }
    };
    const hostileWorker = async () => {
      let plans: Plan[] = [];
      while (Date.now() < deadline) {
        if (plans.length === 0) plans = fc.sample(hostilePlans(fixture), { numRuns: PLAN_BATCH, seed: Math.floor(Math.random() * 2 ** 31) });
        const plan = plans.pop()!;
        try {
          await runPlan(fixture, plan, tally);
          figures.hostileAnswered += 1;
        } catch (error) {
          figures.hostileWrong += 1;
          if (figures.hostileWrongSamples.length < 5) figures.hostileWrongSamples.push((error instanceof Error ? error.message : String(error)).slice(0, 500));
        }
      }
    };
    await Promise.all([...Array.from({ length: validWorkers }, validWorker), ...Array.from({ length: hostileWorkers }, hostileWorker)]);
    clearInterval(progress);
    figures.status5xx += countServerErrors(tally);
    const end = memory();

    const elapsed = (Date.now() - startedAt) / 1000;
    const lines = [
      `soak finished after ${elapsed.toFixed(0)} s`,
      `  valid ceremonies completed:      ${figures.validCompleted} (register, sign in, getAccount, logout; ${(figures.validCompleted / elapsed).toFixed(1)}/s)`,
      `  valid ceremonies failed:         ${figures.validFailed} (must be 0)`,
      `  hostile requests answered:       ${figures.hostileAnswered} (${(figures.hostileAnswered / elapsed).toFixed(0)}/s; by HTTP status ${JSON.stringify(tally.byStatus)})`,
      `  hostile answers not well-formed: ${figures.hostileWrong} (must be 0)`,
      `  5xx answers:                     ${figures.status5xx} (must be 0)`,
      `  memory at start:                 ${showMemory(start)} (gateway and load generator share the process)`,
      ...(warm === undefined ? [] : [`  memory after 30 s (warm):        ${showMemory(warm)}`]),
      `  memory at end:                   ${showMemory(end)}`,
    ];
    for (const [message, count] of Object.entries(figures.validFailures)) lines.push(`  valid failure ×${count}: ${message}`);
    for (const sample of figures.hostileWrongSamples) lines.push(`  hostile answer not well-formed: ${sample}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return figures.validFailed === 0 && figures.status5xx === 0 && figures.hostileWrong === 0 ? 0 : 1;
  } finally {
    await gateway?.close();
    await cleanUp(args['redis-url'], keyPrefix, args['database-url'], schema);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function countServerErrors(tally: Tally): number {
  return Object.entries(tally.byStatus).reduce((sum, [status, count]) => sum + (Number(status) >= 500 ? count : 0), 0);
}

/** Removes the run's Redis keys and PostgreSQL schema. */
async function cleanUp(redisUrl: string, keyPrefix: string, databaseUrl: string, schema: string): Promise<void> {
  await deleteRedisPrefix(redisUrl, keyPrefix);
  await dropPostgresSchema(databaseUrl, schema);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
