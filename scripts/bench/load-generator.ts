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
