// `npm run bench`: gateway vs. a plain-REST reference on Redis + PostgreSQL, plus the crypto floor.
//   npm run bench -- [--seconds 5] [--warmup 1] [--prime 3] [--repeat 3] [--concurrency 1,8,32] [--workers 1,2]
//     [--open-loop 0.5] [--open-clients 64] [--ceremonies registration,sign-in]
//     [--targets gateway,reference,'gateway (cold clients)'] [--baseline DIR] [--profile DIR]
// --workers runs the whole matrix once per process count, the gateway and the reference each with
// that many. --open-loop offers both servers the same fixed arrival rate, that fraction of the
// reference's closed-loop rate at C = 8 in the same run (0: off). --baseline measures another built
// checkout of the gateway (its dist/) as the target `baseline`, beside this one. --profile writes V8
// CPU profiles of the gateway and the reference into DIR/gateway and DIR/reference and a summary of
// both, self time by package and by function, into DIR/summary.md (see profile-summary.ts).
// Needs Redis (REDIS_URL, default redis://127.0.0.1:6379) and PostgreSQL (DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/test). Everything it creates (temporary data directories, one
// PostgreSQL schema per server, one Redis key prefix per server) is removed at the end.
// Results: scripts/bench/results/latest.md and latest.json (also printed).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ceremoniesFor } from '../lib/ceremonies.js';
import { RpcClient } from '../lib/rpc-client.js';
import { SoftAuthenticator } from '../lib/soft-authenticator.js';
import { cryptoFloor } from './crypto-floor.js';
import { summarizeProfiles } from './profile-summary.js';
import { runCell, runOpenLoop, type CellResult, type Ceremony } from './load-generator.js';
import { referenceClient } from './reference-client.js';
import { lowerMedian, renderMarkdown, type BenchCell, type BenchResult, type CeremonyKind, type Target } from './report.js';
import { deleteRedisPrefix, dropPostgresSchema, freePort } from '../lib/local-services.js';

const root = new URL('../../../', import.meta.url).pathname;
const PAGE_ORIGIN = 'http://localhost:8788';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    // Untimed load on every server and ceremony before the first cell, so JIT compilation and
    // lazily built tables (prepared statements, caches) do not land in one cell only.
    prime: { type: 'string', default: '3' },
    // Rounds per cell, each running every server back to back; medians are reported.
    repeat: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1,8,32' },
    workers: { type: 'string', default: `1,${availableParallelism()}` },
    'open-loop': { type: 'string', default: '0.5' },
    'open-clients': { type: 'string', default: '64' },
    profile: { type: 'string' },
    ceremonies: { type: 'string', default: 'registration,sign-in' },
    // Which servers to measure, e.g. `--targets gateway` for a profile of the gateway alone.
    targets: { type: 'string', default: 'gateway,reference,gateway (cold clients)' },
    baseline: { type: 'string' },
  },
});
const seconds = boundedNumber(values.seconds, 1, 120, 'seconds');
const warmup = boundedNumber(values.warmup, 0, 30, 'warmup');
const prime = boundedNumber(values.prime, 0, 60, 'prime');
const repeat = boundedNumber(values.repeat, 1, 9, 'repeat');
const concurrencies = values.concurrency.split(',').map((c) => boundedNumber(c, 1, 256, 'concurrency'));
const workerCounts = values.workers.split(',').map((w) => boundedNumber(w, 1, 64, 'workers'));
const openLoopFraction = Number(values['open-loop']);
if (!(openLoopFraction >= 0 && openLoopFraction <= 2)) throw new Error('--open-loop must be a fraction from 0 to 2');
const openClients = boundedNumber(values['open-clients'], 1, 1024, 'open-clients');
const ceremonyKinds = values.ceremonies.split(',').map((kind): CeremonyKind => {
  if (kind !== 'registration' && kind !== 'sign-in') throw new Error('--ceremonies takes registration and/or sign-in');
  return kind;
});

const allTargets: readonly Target[] = ['gateway', 'reference', 'gateway (cold clients)', 'baseline'];
const selectedTargets = [
  ...values.targets.split(',').map((name) => {
    const target = allTargets.find((known) => known === name);
    if (target === undefined) throw new Error(`--targets takes ${allTargets.join(', ')}`);
    return target;
  }),
  ...(values.baseline === undefined ? [] : (['baseline'] as const)),
];
const baselineRoot = values.baseline === undefined ? undefined : resolve(values.baseline);
const profileRoot = values.profile === undefined ? undefined : resolve(values.profile);
const profileDirs = profileRoot === undefined ? undefined : { gateway: join(profileRoot, 'gateway'), reference: join(profileRoot, 'reference') };

function boundedNumber(text: string, min: number, max: number, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return value;
}

const run = randomUUID().replaceAll('-', '').slice(0, 12);
/** Every schema, prefix and directory made, for the clean-up. */
const made = { schemas: [] as string[], prefixes: [] as string[], dirs: [] as string[] };
const children: ChildProcess[] = [];

interface Child {
  pid: number;
  stdout: () => string;
  stop: () => Promise<void>;
}

interface StartedGateway extends Child {
  url: string;
  scopeId: string;
  publicKey: string;
}

/** The servers of one process count, each with its own schema, key prefix and data directory. */
async function startServers(workers: number) {
  const names = (tag: string) => {
    const schema = `pkgw_bench_${tag}_${workers}_${run}`;
    const prefix = `pkgw-bench:${run}:${tag}${workers}:`;
    made.schemas.push(schema);
    made.prefixes.push(prefix);
    return { schema, prefix };
  };
  const uses = (target: Target) => selectedTargets.includes(target);
  const gateway =
    uses('gateway') || uses('gateway (cold clients)') ? await startGateway('gateway', root, workers, names('gw'), profileDirs?.gateway) : undefined;
  const baseline = baselineRoot !== undefined ? await startGateway('baseline', baselineRoot, workers, names('base'), undefined) : undefined;
  const reference = uses('reference') ? await startReference(workers, names('ref')) : undefined;
  return { gateway, baseline, reference };
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  process.stderr.write(`load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; crypto floor…\n`);
  const floor = await cryptoFloor();
  const cells: BenchCell[] = [];
  for (const workers of workerCounts) {
    process.stderr.write(`\n== ${workers} process(es) each ==\n`);
    const servers = await startServers(workers);
    try {
      cells.push(...(await measure(workers, servers)));
    } finally {
      await Promise.all([servers.gateway, servers.baseline, servers.reference].flatMap((server) => (server === undefined ? [] : [server.stop()])));
    }
  }

  const result: BenchResult = {
    date: new Date().toISOString(),
    machine: { cores: availableParallelism(), loadBefore, loadAfter: loadavg(), node: process.version },
    settings: { seconds, warmupSeconds: warmup, primeSeconds: prime, repeat, concurrency: concurrencies, workers: workerCounts, openLoopFraction },
    floor,
    cells,
  };
  const markdown = renderMarkdown(result);
  const outDir = join(root, 'scripts/bench/results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(outDir, 'latest.md'), markdown);
  process.stdout.write(`${markdown}\nwritten to scripts/bench/results/latest.{md,json}\n`);
  if (profileRoot !== undefined && profileDirs !== undefined) {
    const summaries = Object.values(profileDirs).filter((dir) => existsSync(dir)).map((dir) => summarizeProfiles(dir, 30));
    writeFileSync(join(profileRoot, 'summary.md'), summaries.join('\n'));
    process.stdout.write(`profiles and their summary in ${profileRoot} (summary.md)\n`);
  }
}

/** The closed-loop matrix, then the open-loop cells, for one process count. */
async function measure(workers: number, servers: Awaited<ReturnType<typeof startServers>>): Promise<BenchCell[]> {
  const { gateway, baseline, reference } = servers;
  const ceremonies = ceremoniesFor(PAGE_ORIGIN);
  const ref = reference === undefined ? undefined : referenceClient(reference.url, PAGE_ORIGIN);
  let userCounter = 0;
  const newUsername = (tag: string) => `bench-${tag}-${run}-${(userCounter += 1)}`;
  const newAuthenticator = () => new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });

  // Client factories per target and ceremony: each virtual client keeps its authenticator, and
  // (warm) its AES key; sign-in clients register their user before the window opens.
  const gatewayFactories = (server: StartedGateway, tag: string) => ({
    warm: {
      registration: () => {
        const client = new RpcClient(server.url, server.scopeId, server.publicKey);
        const authenticator = newAuthenticator();
        return async () => void (await ceremonies.register(client, authenticator, newUsername(tag)));
      },
      'sign-in': async () => {
        const client = new RpcClient(server.url, server.scopeId, server.publicKey);
        const authenticator = newAuthenticator();
        const username = newUsername(tag);
        await ceremonies.register(client, authenticator, username);
        return async () => void (await ceremonies.signIn(client, authenticator, username));
      },
    },
    cold: {
      registration: () => {
        const authenticator = newAuthenticator();
        return async () => void (await ceremonies.register(new RpcClient(server.url, server.scopeId, server.publicKey), authenticator, newUsername(`${tag}c`)));
      },
      'sign-in': async () => {
        const authenticator = newAuthenticator();
        const username = newUsername(`${tag}c`);
        await ceremonies.register(new RpcClient(server.url, server.scopeId, server.publicKey), authenticator, username);
        return async () => void (await ceremonies.signIn(new RpcClient(server.url, server.scopeId, server.publicKey), authenticator, username));
      },
    },
  });
  const missing = (): Ceremony => {
    throw new Error('server not started');
  };
  const none = { registration: missing, 'sign-in': missing };
  const referenceFactories = ref && {
    registration: () => {
      const authenticator = newAuthenticator();
      return async () => void (await ref.register(authenticator, newUsername('ref')));
    },
    'sign-in': async () => {
      const authenticator = newAuthenticator();
      const username = newUsername('ref');
      await ref.register(authenticator, username);
      return async () => void (await ref.signIn(authenticator, username));
    },
  };
  const ofGateway = gateway && gatewayFactories(gateway, 'gw');
  const factories: Record<Target, Record<CeremonyKind, () => Promise<Ceremony> | Ceremony>> = {
    gateway: ofGateway?.warm ?? none,
    'gateway (cold clients)': ofGateway?.cold ?? none,
    baseline: baseline === undefined ? none : gatewayFactories(baseline, 'base').warm,
    reference: referenceFactories ?? none,
  };
  const pidOf = (target: Target) => (target === 'reference' ? reference : target === 'baseline' ? baseline : gateway)!.pid;

  if (prime > 0) {
    process.stderr.write(`priming each server for ${prime} s per ceremony…\n`);
    for (const ceremony of ceremonyKinds) {
      for (const target of selectedTargets.filter((target) => target !== 'gateway (cold clients)')) {
        await runCell({ concurrency: 8, warmupMs: 0, measureMs: prime * 1000, serverPid: pidOf(target), makeClient: factories[target][ceremony] });
      }
    }
  }

  const cells: BenchCell[] = [];
  const cell = { warmupMs: warmup * 1000, measureMs: seconds * 1000 };
  const log = (label: string, result: CellResult) =>
    process.stderr.write(
      `${label}… ${result.perSecond.toFixed(0)}/s p99 ${result.p99Ms.toFixed(1)} ms, CPU ms per ceremony server/load generator/stores ` +
        `${[result.serverCpuMsPerCeremony, result.clientCpuMsPerCeremony, result.storeCpuMsPerCeremony].map((ms) => ms.toFixed(2)).join('/')}` +
        `${result.errors ? ` (${result.errors} errors: ${result.firstError})` : ''}\n`,
    );
  // Targets alternate cell by cell and round by round, so a slow spell of the machine hits every
  // server in the same round; ratios are taken round by round.
  for (const ceremony of ceremonyKinds) {
    for (const concurrency of concurrencies) {
      const rounds = new Map<Target, CellResult[]>(selectedTargets.map((target) => [target, []]));
      for (let round = 1; round <= repeat; round += 1) {
        for (const target of selectedTargets) {
          const result = await runCell({ ...cell, concurrency, serverPid: pidOf(target), makeClient: factories[target][ceremony] });
          log(`${ceremony} C=${concurrency} ${target} ×${workers}${repeat > 1 ? ` (round ${round}/${repeat})` : ''}`, result);
          rounds.get(target)!.push(result);
        }
      }
      for (const target of selectedTargets) cells.push({ workers, mode: 'closed', ceremony, target, ...medianCell(rounds.get(target)!) });
    }
  }

  // Open loop: the same arrival rate for every server, a fraction of what the reference served at C = 8.
  if (openLoopFraction > 0 && reference !== undefined) {
    for (const ceremony of ceremonyKinds) {
      const capacity = cells.find((c) => c.workers === workers && c.mode === 'closed' && c.ceremony === ceremony && c.target === 'reference' && c.result.concurrency === 8);
      if (capacity === undefined) continue;
      const rate = Math.max(1, Math.round(capacity.result.perSecond * openLoopFraction));
      const targets = selectedTargets.filter((target) => target !== 'gateway (cold clients)');
      const rounds = new Map<Target, CellResult[]>(targets.map((target) => [target, []]));
      for (let round = 1; round <= repeat; round += 1) {
        for (const target of targets) {
          const result = await runOpenLoop({ ...cell, ratePerSecond: rate, clients: openClients, serverPid: pidOf(target), makeClient: factories[target][ceremony] });
          log(`${ceremony} open loop ${rate}/s ${target} ×${workers}${repeat > 1 ? ` (round ${round}/${repeat})` : ''}`, result);
          rounds.get(target)!.push(result);
        }
      }
      for (const target of targets) cells.push({ workers, mode: 'open', rate, ceremony, target, ...medianCell(rounds.get(target)!) });
    }
  }
  return cells;
}

/** The round with the median rate stands for the cell; every round's rate and server CPU are kept for per-round ratios. */
function medianCell(results: CellResult[]): Pick<BenchCell, 'result' | 'rounds'> {
  return { result: lowerMedian(results, (round) => round.perSecond), rounds: results.map((round) => ({ perSecond: round.perSecond, serverCpuMs: round.serverCpuMsPerCeremony })) };
}

/** A gateway build (`home`'s dist/) on Redis and PostgreSQL under its own prefix, schema and data folder. */
async function startGateway(name: string, home: string, workers: number, at: { schema: string; prefix: string }, profileDir: string | undefined): Promise<StartedGateway> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), `pkgw-bench-${name}-`));
  made.dirs.push(data);
  const child = await startChild(
    name,
    [...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]), join(home, 'dist/src/main.js')],
    {
      PORT: String(port),
      // Not scraped here; any free port, so a gateway already on the default one does not stop the run.
      METRICS_PORT: '0',
      DATA_DIR: data,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: at.prefix,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: at.schema,
      ALLOWED_ORIGINS: PAGE_ORIGIN,
      // Per-ceremony info lines would measure stdout, not the gateway; the reference logs nothing.
      LOG_LEVEL: 'warn',
      WORKERS: String(workers),
      // The generator is one client address making thousands of ceremonies a minute; rate limits
      // (a feature the reference lacks) would refuse it, so they are off here (0 = no limit).
      RATE_LIMIT_IP_PER_MINUTE: '0',
      RATE_LIMIT_USER_PER_MINUTE: '0',
    },
    'development scope id',
    home,
  );
  const scopeId = /development scope id: ([0-9a-f-]{36})/.exec(child.stdout())?.[1];
  const publicKey = /enclavePublicKey\): (\S+)/.exec(child.stdout())?.[1];
  if (scopeId === undefined || publicKey === undefined) throw new Error(`${name} banner incomplete:\n${child.stdout()}`);
  return { ...child, url: `http://127.0.0.1:${port}/`, scopeId, publicKey };
}

async function startReference(workers: number, at: { schema: string; prefix: string }): Promise<Child & { url: string }> {
  const port = await freePort();
  const profileDir = profileDirs?.reference;
  const child = await startChild(
    'reference',
    [...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]), join(root, 'dist/scripts/bench/reference-server.js')],
    {
      REF_PORT: String(port),
      REF_ORIGIN: PAGE_ORIGIN,
      REDIS_URL: redisUrl,
      REF_REDIS_PREFIX: at.prefix,
      DATABASE_URL: databaseUrl,
      REF_SCHEMA: at.schema,
      REF_WORKERS: String(workers),
    },
    'reference listening',
  );
  return { ...child, url: `http://127.0.0.1:${port}` };
}

/** Starts a server and waits (at most 60 s) for `ready` on its stdout. */
function startChild(name: string, args: string[], env: Record<string, string>, ready: string, cwd = root): Promise<Child> {
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s:\n${stdout}${stderr}`)), 60_000);
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${stdout}${stderr}`)));
    const poll = setInterval(() => {
      if (!stdout.includes(ready)) return;
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ pid: child.pid!, stdout: () => stdout, stop: () => stopChild(child) });
    }, 50);
  });
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function cleanUp(): Promise<void> {
  await Promise.all(children.map(stopChild));
  for (const schema of made.schemas) await dropPostgresSchema(databaseUrl, schema);
  for (const prefix of made.prefixes) await deleteRedisPrefix(redisUrl, prefix);
  for (const dir of made.dirs) rmSync(dir, { recursive: true, force: true });
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  await cleanUp();
}
process.exit(failed ? 1 : 0);
