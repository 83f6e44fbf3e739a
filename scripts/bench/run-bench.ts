// `npm run bench`: gateway vs. a plain-REST reference on Redis + PostgreSQL, plus the crypto floor.
//   npm run bench -- [--seconds 5] [--warmup 1] [--prime 3] [--repeat 1] [--concurrency 1,8,32] [--workers N] [--ref-workers N]
//     [--ceremonies registration,sign-in] [--targets gateway,reference,'gateway (cold clients)'] [--profile-dir DIR] [--ref-profile-dir DIR]
// Needs Redis (REDIS_URL, default redis://127.0.0.1:6379) and PostgreSQL (DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/test). Everything it creates (a temporary data directory, one
// PostgreSQL schema per server, one Redis key prefix per server) is removed at the end.
// Results: scripts/bench/results/latest.md and latest.json (also printed).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ceremoniesFor } from '../lib/ceremonies.js';
import { RpcClient } from '../lib/rpc-client.js';
import { SoftAuthenticator } from '../lib/soft-authenticator.js';
import { cryptoFloor } from './crypto-floor.js';
import { runCell, type CellResult, type Ceremony } from './load-generator.js';
import { referenceClient } from './reference-client.js';
import { lowerMedian, renderMarkdown, type BenchResult, type CeremonyKind, type Target } from './report.js';
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
    // lazily built tables (noble's precomputes, prepared statements) do not land in one cell only.
    prime: { type: 'string', default: '3' },
    // Rounds per cell; the median round (by ceremonies/s) is reported, with the range of all rounds.
    repeat: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1,8,32' },
    workers: { type: 'string', default: String(availableParallelism()) },
    'ref-workers': { type: 'string' },
    // Writes a V8 CPU profile of each gateway process into this directory (see profile-summary.ts).
    'profile-dir': { type: 'string' },
    'ref-profile-dir': { type: 'string' },
    ceremonies: { type: 'string', default: 'registration,sign-in' },
    // Which servers to measure, e.g. `--targets gateway` for a profile of the gateway alone.
    targets: { type: 'string', default: 'gateway,reference,gateway (cold clients)' },
  },
});
const seconds = boundedNumber(values.seconds, 1, 120, 'seconds');
const warmup = boundedNumber(values.warmup, 0, 30, 'warmup');
const prime = boundedNumber(values.prime, 0, 60, 'prime');
const repeat = boundedNumber(values.repeat, 1, 9, 'repeat');
const concurrencies = values.concurrency.split(',').map((c) => boundedNumber(c, 1, 256, 'concurrency'));
const gatewayWorkers = boundedNumber(values.workers, 1, 64, 'workers');
const referenceWorkers = boundedNumber(values['ref-workers'] ?? values.workers, 1, 64, 'ref-workers');
const ceremonyKinds = values.ceremonies.split(',').map((kind) => {
  if (kind !== 'registration' && kind !== 'sign-in') throw new Error('--ceremonies takes registration and/or sign-in');
  return kind;
});

const allTargets: readonly Target[] = ['gateway', 'reference', 'gateway (cold clients)'];
const selectedTargets = values.targets.split(',').map((name) => {
  const target = allTargets.find((known) => known === name);
  if (target === undefined) throw new Error(`--targets takes ${allTargets.join(', ')}`);
  return target;
});

function boundedNumber(text: string, min: number, max: number, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return value;
}

const run = randomUUID().replaceAll('-', '').slice(0, 12);
const gatewaySchema = `pkgw_bench_gw_${run}`;
const referenceSchema = `pkgw_bench_ref_${run}`;
const gatewayPrefix = `pkgw-bench:${run}:gw:`;
const referencePrefix = `pkgw-bench:${run}:ref:`;
const dataDir = mkdtempSync(join(tmpdir(), 'pkgw-bench-'));
const children: ChildProcess[] = [];

async function main(): Promise<void> {
  const loadBefore = loadavg();
  process.stderr.write(`load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; crypto floor…\n`);
  const floor = await cryptoFloor();

  const gatewayPort = await freePort();
  const gateway = await startChild(
    'gateway',
    [...(values['profile-dir'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', values['profile-dir']]), join(root, 'dist/src/main.js')],
    {
      PORT: String(gatewayPort),
      // Not scraped here; any free port, so a gateway already on the default one does not stop the run.
      METRICS_PORT: '0',
      DATA_DIR: dataDir,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: gatewayPrefix,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: gatewaySchema,
      ALLOWED_ORIGINS: PAGE_ORIGIN,
      // Per-ceremony info lines would measure stdout, not the gateway; the reference logs nothing.
      LOG_LEVEL: 'warn',
      WORKERS: String(gatewayWorkers),
      // The generator is one client address making thousands of ceremonies a minute; rate limits
      // (a feature the reference lacks) would refuse it, so they are off here (0 = no limit).
      RATE_LIMIT_IP_PER_MINUTE: '0',
      RATE_LIMIT_USER_PER_MINUTE: '0',
    },
    'development scope id',
  );
  const scopeId = /development scope id: ([0-9a-f-]{36})/.exec(gateway.stdout())?.[1];
  const publicKey = /enclavePublicKey\): (\S+)/.exec(gateway.stdout())?.[1];
  if (scopeId === undefined || publicKey === undefined) throw new Error(`gateway banner incomplete:\n${gateway.stdout()}`);
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}/`;

  const referencePort = await freePort();
  const reference = await startChild(
    'reference',
    [...(values['ref-profile-dir'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', values['ref-profile-dir']]), join(root, 'dist/scripts/bench/reference-server.js')],
    {
      REF_PORT: String(referencePort),
      REF_ORIGIN: PAGE_ORIGIN,
      REDIS_URL: redisUrl,
      REF_REDIS_PREFIX: referencePrefix,
      DATABASE_URL: databaseUrl,
      REF_SCHEMA: referenceSchema,
      REF_WORKERS: String(referenceWorkers),
    },
    'reference listening',
  );
  const ref = referenceClient(`http://127.0.0.1:${referencePort}`, PAGE_ORIGIN);
  const ceremonies = ceremoniesFor(PAGE_ORIGIN);
  const cell = { warmupMs: warmup * 1000, measureMs: seconds * 1000 };
  const cells: BenchResult['cells'] = [];
  let userCounter = 0;
  const newUsername = (tag: string) => `bench-${tag}-${run}-${(userCounter += 1)}`;
  const newAuthenticator = () => new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });

  // Client factories per target and ceremony: each virtual client keeps its authenticator, and
  // (warm) its AES key; sign-in clients register their user before the window opens.
  const factories: Record<Target, Record<CeremonyKind, () => Promise<Ceremony>>> = {
    gateway: {
      registration: () => {
        const client = new RpcClient(gatewayUrl, scopeId, publicKey);
        const authenticator = newAuthenticator();
        return Promise.resolve(async () => void (await ceremonies.register(client, authenticator, newUsername('gw'))));
      },
      'sign-in': async () => {
        const client = new RpcClient(gatewayUrl, scopeId, publicKey);
        const authenticator = newAuthenticator();
        const username = newUsername('gw');
        await ceremonies.register(client, authenticator, username);
        return async () => void (await ceremonies.signIn(client, authenticator, username));
      },
    },
    'gateway (cold clients)': {
      registration: () => {
        const authenticator = newAuthenticator();
        return Promise.resolve(async () => void (await ceremonies.register(new RpcClient(gatewayUrl, scopeId, publicKey), authenticator, newUsername('gwc'))));
      },
      'sign-in': async () => {
        const authenticator = newAuthenticator();
        const username = newUsername('gwc');
        await ceremonies.register(new RpcClient(gatewayUrl, scopeId, publicKey), authenticator, username);
        return async () => void (await ceremonies.signIn(new RpcClient(gatewayUrl, scopeId, publicKey), authenticator, username));
      },
    },
    reference: {
      registration: () => {
        const authenticator = newAuthenticator();
        return Promise.resolve(async () => void (await ref.register(authenticator, newUsername('ref'))));
      },
      'sign-in': async () => {
        const authenticator = newAuthenticator();
        const username = newUsername('ref');
        await ref.register(authenticator, username);
        return async () => void (await ref.signIn(authenticator, username));
      },
    },
  };

  if (prime > 0) {
    process.stderr.write(`priming each server for ${prime} s per ceremony…\n`);
    for (const ceremony of ceremonyKinds) {
      for (const target of selectedTargets.filter((target) => target !== 'gateway (cold clients)')) {
        const serverPid = (target === 'reference' ? reference : gateway).pid;
        await runCell({ concurrency: 8, warmupMs: 0, measureMs: prime * 1000, serverPid, makeClient: factories[target][ceremony] });
      }
    }
  }

  // Targets alternate cell by cell (and round by round), so a burst of other load on the machine
  // hits both alike; with --repeat the cell with the median rate stands for each target.
  const targets = selectedTargets;
  for (const ceremony of ceremonyKinds) {
    for (const concurrency of concurrencies) {
      const rounds = new Map<Target, CellResult[]>(targets.map((target) => [target, []]));
      for (let round = 1; round <= repeat; round += 1) {
        for (const target of targets) {
          const serverPid = (target === 'reference' ? reference : gateway).pid;
          process.stderr.write(`${ceremony} C=${concurrency} ${target}${repeat > 1 ? ` (round ${round}/${repeat})` : ''}…`);
          const result = await runCell({ ...cell, concurrency, serverPid, makeClient: factories[target][ceremony] });
          process.stderr.write(` ${result.perSecond.toFixed(0)}/s p99 ${result.p99Ms.toFixed(1)} ms, CPU ms per ceremony server/load generator/stores ${[result.serverCpuMsPerCeremony, result.clientCpuMsPerCeremony, result.storeCpuMsPerCeremony].map((ms) => ms.toFixed(2)).join('/')}${result.errors ? ` (${result.errors} errors: ${result.firstError})` : ''}\n`);
          rounds.get(target)!.push(result);
        }
      }
      for (const target of targets) cells.push({ ceremony, target, ...medianCell(rounds.get(target)!) });
    }
  }

  const result: BenchResult = {
    date: new Date().toISOString(),
    machine: { cores: availableParallelism(), loadBefore, loadAfter: loadavg(), node: process.version },
    settings: { seconds, warmupSeconds: warmup, primeSeconds: prime, repeat, concurrency: concurrencies, gatewayWorkers, referenceWorkers },
    floor,
    cells,
  };
  const markdown = renderMarkdown(result);
  const outDir = join(root, 'scripts/bench/results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(outDir, 'latest.md'), markdown);
  process.stdout.write(`${markdown}\nwritten to scripts/bench/results/latest.{md,json}\n`);
}

/** The round with the median rate (the lower middle one for an even count), and every round's rate. */
function medianCell(results: CellResult[]): { result: CellResult; rounds?: number[] } {
  const result = lowerMedian(results, (round) => round.perSecond);
  return results.length === 1 ? { result } : { result, rounds: results.map((round) => round.perSecond) };
}

interface Child {
  pid: number;
  stdout: () => string;
}

/** Starts a server and waits (at most 60 s) for `ready` on its stdout. */
function startChild(name: string, args: string[], env: Record<string, string>, ready: string): Promise<Child> {
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
      resolve({ pid: child.pid!, stdout: () => stdout });
    }, 50);
  });
}


async function cleanUp(): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
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
        }),
    ),
  );
  for (const schema of [gatewaySchema, referenceSchema]) await dropPostgresSchema(databaseUrl, schema);
  for (const prefix of [gatewayPrefix, referencePrefix]) await deleteRedisPrefix(redisUrl, prefix);
  rmSync(dataDir, { recursive: true, force: true });
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
