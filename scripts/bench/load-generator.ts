import { cpuMsBetween, namedProcessesCpu, treeCpuMs, type CpuSnapshot } from './server-cpu.js';

/** The stores both servers share on this machine; their CPU is counted per ceremony too. */
const STORE_PROCESSES = ['postgres', 'redis-server'] as const;

/** One virtual client's next ceremony; rejects when the ceremony fails. */
export type Ceremony = () => Promise<void>;

export interface LoadCell {
  concurrency: number;
  warmupMs: number;
  measureMs: number;
  /** Sets up virtual client `index` (e.g. registers its user) and returns its ceremony loop body. */
  makeClient: (index: number) => Promise<Ceremony> | Ceremony;
  /** Process whose CPU (with its children) is the server's. */
  serverPid: number;
}

export interface CellResult {
  concurrency: number;
  ceremonies: number;
  errors: number;
  firstError?: string;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  serverCpuMsPerCeremony: number;
  /** Server CPU over the window divided by wall time: how many cores the server kept busy. */
  serverCores: number;
  /** CPU of the local PostgreSQL and Redis processes per ceremony over the same window. */
  storeCpuMsPerCeremony: number;
  /** CPU of the load generator itself (every virtual client) per ceremony over the same window. */
  clientCpuMsPerCeremony: number;
}

/**
 * Closed loop: `concurrency` virtual clients each run one ceremony after another until the window
 * ends. Only ceremonies that start and finish inside the measured window count; the server's CPU
 * is sampled at both ends of that window.
 */
export async function runCell(cell: LoadCell): Promise<CellResult> {
  const clients = await Promise.all(Array.from({ length: cell.concurrency }, async (_, index) => cell.makeClient(index)));
  const started = performance.now();
  const windowStart = started + cell.warmupMs;
  const windowEnd = windowStart + cell.measureMs;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let cpuStart = 0;
  let cpuEnd = 0;
  let storeStart: CpuSnapshot = new Map();
  let storeEnd: CpuSnapshot | undefined;
  let clientStart = process.cpuUsage();
  let clientCpu: NodeJS.CpuUsage | undefined;
  const cpuStartTimer = setTimeout(() => {
    clientStart = process.cpuUsage();
    cpuStart = treeCpuMs(cell.serverPid);
    storeStart = namedProcessesCpu(STORE_PROCESSES);
  }, cell.warmupMs);
  const cpuEndTimer = setTimeout(() => {
    cpuEnd = treeCpuMs(cell.serverPid);
    storeEnd = namedProcessesCpu(STORE_PROCESSES);
    clientCpu = process.cpuUsage(clientStart);
  }, cell.warmupMs + cell.measureMs);

  await Promise.all(
    clients.map(async (ceremony) => {
      while (performance.now() < windowEnd) {
        const begin = performance.now();
        try {
          await ceremony();
        } catch (error) {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
          continue;
        }
        const end = performance.now();
        if (begin >= windowStart && end <= windowEnd) latencies.push(end - begin);
      }
    }),
  );
  clearTimeout(cpuStartTimer);
  clearTimeout(cpuEndTimer);
  if (cpuEnd === 0) cpuEnd = treeCpuMs(cell.serverPid);
  storeEnd ??= namedProcessesCpu(STORE_PROCESSES);
  clientCpu ??= process.cpuUsage(clientStart);

  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  const cpuMs = cpuEnd - cpuStart;
  return {
    concurrency: cell.concurrency,
    ceremonies: latencies.length,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    perSecond: (latencies.length * 1000) / cell.measureMs,
    p50Ms: pick(0.5),
    p95Ms: pick(0.95),
    p99Ms: pick(0.99),
    serverCpuMsPerCeremony: latencies.length === 0 ? Number.NaN : cpuMs / latencies.length,
    serverCores: cpuMs / cell.measureMs,
    storeCpuMsPerCeremony: latencies.length === 0 ? Number.NaN : cpuMsBetween(storeStart, storeEnd) / latencies.length,
    clientCpuMsPerCeremony: latencies.length === 0 ? Number.NaN : (clientCpu.user + clientCpu.system) / 1000 / latencies.length,
  };
}

/** Clients primed at once before an open loop (see runOpenLoop). */
const PRIME_AT_ONCE = 4;

export interface OpenLoopCell {
  /** Ceremonies started per second, evenly spaced, whether or not earlier ones have finished. */
  ratePerSecond: number;
  warmupMs: number;
  measureMs: number;
  /** Virtual clients made before the run, so none is set up inside it: the most ceremonies in flight at once. */
  clients: number;
  makeClient: (index: number) => Promise<Ceremony> | Ceremony;
  serverPid: number;
}

/**
 * Open loop: ceremonies arrive at a fixed rate, each on an idle virtual client, and each one's
 * latency runs from its scheduled arrival, so a server that falls behind is charged the queueing
 * too (no coordinated omission). Two servers offered the same rate compare fairly on a shared
 * machine, where closed-loop latency mostly follows each server's throughput. An arrival that finds
 * every client busy is counted as an error (the offered load is then beyond what the run measures).
 */
export async function runOpenLoop(cell: OpenLoopCell): Promise<CellResult> {
  const idle = await Promise.all(Array.from({ length: cell.clients }, async (_, index) => cell.makeClient(index)));
  // Every client makes one ceremony before the clock starts, a few at a time, so each has its
  // connection and (on the gateway) its unwrapped AES key: otherwise the clients a latency spike
  // first brings into play would each pay their set-up inside the window, and the tail would
  // measure cold clients on one server only (they are measured on their own, in the closed loop).
  for (let start = 0; start < idle.length; start += PRIME_AT_ONCE) await Promise.all(idle.slice(start, start + PRIME_AT_ONCE).map((ceremony) => ceremony()));
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const intervalMs = 1000 / cell.ratePerSecond;
  const started = performance.now();
  const windowStart = started + cell.warmupMs;
  const windowEnd = windowStart + cell.measureMs;
  let cpuStart: number | undefined;
  let storeStart: CpuSnapshot = new Map();
  let clientStart = process.cpuUsage();
  const running: Promise<void>[] = [];

  const arrive = async (scheduled: number): Promise<void> => {
    const ceremony = idle.pop();
    if (ceremony === undefined) {
      errors += 1;
      firstError ??= `all ${cell.clients} clients busy`;
      return;
    }
    try {
      await ceremony();
      if (scheduled >= windowStart && scheduled < windowEnd) latencies.push(performance.now() - scheduled);
    } catch (error) {
      errors += 1;
      firstError ??= error instanceof Error ? error.message : String(error);
    } finally {
      idle.push(ceremony);
    }
  };

  for (let n = 0; ; n += 1) {
    const scheduled = started + n * intervalMs;
    if (scheduled >= windowEnd) break;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (cpuStart === undefined && scheduled >= windowStart) {
      clientStart = process.cpuUsage();
      cpuStart = treeCpuMs(cell.serverPid);
      storeStart = namedProcessesCpu(STORE_PROCESSES);
    }
    running.push(arrive(scheduled));
  }
  const cpuEnd = treeCpuMs(cell.serverPid);
  const storeEnd = namedProcessesCpu(STORE_PROCESSES);
  const clientCpu = process.cpuUsage(clientStart);
  await Promise.all(running);

  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  const cpuMs = cpuEnd - (cpuStart ?? cpuEnd);
  const served = latencies.length;
  return {
    concurrency: 0,
    ceremonies: served,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    perSecond: (served * 1000) / cell.measureMs,
    p50Ms: pick(0.5),
    p95Ms: pick(0.95),
    p99Ms: pick(0.99),
    serverCpuMsPerCeremony: served === 0 ? Number.NaN : cpuMs / served,
    serverCores: cpuMs / cell.measureMs,
    storeCpuMsPerCeremony: served === 0 ? Number.NaN : cpuMsBetween(storeStart, storeEnd) / served,
    clientCpuMsPerCeremony: served === 0 ? Number.NaN : (clientCpu.user + clientCpu.system) / 1000 / served,
  };
}
