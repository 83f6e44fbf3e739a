import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { servePrimaryChannel } from './cluster-channel.js';

/**
 * How many gateway processes to run: WORKERS (unset: the number of cores), except that in-process
 * challenges cannot be shared, so without Redis there is one.
 */
export function effectiveWorkers(config: Pick<Config, 'workers' | 'redisUrl' | 'redisClusterNodes'>): number {
  const sharedChallenges = config.redisUrl !== undefined || config.redisClusterNodes.length > 0;
  return sharedChallenges ? (config.workers ?? availableParallelism()) : 1;
}

/** True in the process that should print the start banner: a single process, or the first worker. */
export function printsBanner(): boolean {
  return !cluster.isWorker || cluster.worker?.id === 1;
}

const RESTART_WINDOW_MS = 60_000;
const MAX_RESTARTS_PER_WINDOW = 10;
/** Every gateway process opens two listeners: the public one and the metrics one (see app.ts). */
const LISTENERS_PER_WORKER = 2;

/**
 * Runs the gateway as a node:cluster primary when more than one process is wanted, and returns
 * true: this process then only supervises workers, which run main.ts's normal path and share the
 * listening port. Returns false when this process should run the gateway itself (a worker, or
 * WORKERS=1, or in-process challenges, which other processes could not see).
 *
 * The first worker starts alone and the rest follow once it listens, so migrations, generated key
 * files and the development scope are created exactly once. A worker that dies is replaced, at
 * most ten times a minute; SIGTERM/SIGINT are passed on and the primary exits when all workers have.
 */
export async function runWorkers(config: Config, log: Logger): Promise<boolean> {
  if (!cluster.isPrimary) return false;
  const count = effectiveWorkers(config);
  // Only a WORKERS that was asked for is worth a warning; unset, one process is simply the default here.
  if (config.workers !== undefined && count !== config.workers) {
    log.warn({ workers: config.workers }, 'WORKERS ignored: in-process challenges need a single process (set REDIS_URL)');
  }
  if (count <= 1) return false;

  servePrimaryChannel((err) => log.error({ err }, 'gathering metrics from the workers failed'));
  let stopping = false;
  let restarts: number[] = [];
  const fork = (): Worker => cluster.fork();

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    const now = Date.now();
    restarts = restarts.filter((at) => now - at < RESTART_WINDOW_MS);
    if (restarts.length >= MAX_RESTARTS_PER_WINDOW) {
      log.fatal({ pid: worker.process.pid, code, signal }, 'workers keep dying; giving up');
      process.exit(1);
    }
    restarts.push(now);
    log.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
    fork();
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping workers');
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const worker of workers) worker?.process.kill(signal);
    // Workers have their own shutdown deadline (grace + 5 s); this one only guards against a stuck one.
    setTimeout(() => process.exit(1), config.shutdownGraceMs + 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  // node:cluster reports each listener a worker opens; a worker serves once it has opened all of them.
  const opened = new Map<Worker, number>();
  let listening = 0;
  let onWorkerListening = (_worker: Worker): void => {};
  cluster.on('listening', (worker) => {
    const listeners = (opened.get(worker) ?? 0) + 1;
    opened.set(worker, listeners);
    if (listeners !== LISTENERS_PER_WORKER) return;
    listening += 1;
    onWorkerListening(worker);
    if (listening === count) log.info({ workers: count }, 'all workers listening');
  });
  cluster.on('exit', (worker) => opened.delete(worker));

  const first = fork();
  await new Promise<void>((resolve, reject) => {
    onWorkerListening = (worker) => {
      if (worker === first) resolve();
    };
    first.once('exit', (code) => {
      stopping = true;
      reject(new Error(`first worker exited with code ${code} before listening`));
    });
  });
  for (let i = 1; i < count; i += 1) fork();
  log.info({ workers: count }, 'gateway workers started');
  return true;
}
