import type { FloorRow } from './crypto-floor.js';
import type { CellResult } from './load-generator.js';

export type CeremonyKind = 'registration' | 'sign-in';
export type Target = 'gateway' | 'gateway (cold clients)' | 'reference' | 'baseline';

/** One measured cell: the median round, and every round's rate and server CPU per ceremony. */
export interface BenchCell {
  workers: number;
  /** Closed loop (a fixed number of clients, one ceremony after another) or open loop (a fixed arrival rate). */
  mode: 'closed' | 'open';
  /** Open loop: ceremonies offered per second. */
  rate?: number;
  ceremony: CeremonyKind;
  target: Target;
  result: CellResult;
  rounds: { perSecond: number; serverCpuMs: number }[];
}

export interface BenchResult {
  date: string;
  machine: { cores: number; loadBefore: number[]; loadAfter: number[]; node: string };
  settings: { seconds: number; warmupSeconds: number; primeSeconds: number; repeat: number; concurrency: number[]; workers: number[]; openLoopFraction: number };
  floor: FloorRow[];
  cells: BenchCell[];
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const ceremonyKinds = ['registration', 'sign-in'] as const;

/** The benchmark's markdown: per process count, one closed-loop table per ceremony, the open loop, the target checks; then the crypto floor. */
export function renderMarkdown(result: BenchResult): string {
  const lines: string[] = [];
  const { settings, machine } = result;
  lines.push(
    `Benchmark of ${result.date.slice(0, 10)} (${machine.cores} cores, Node ${machine.node}, load average before ${machine.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${machine.loadAfter.map((l) => l.toFixed(2)).join(' ')}); ` +
      `each server primed ${settings.primeSeconds} s per ceremony, then ${settings.seconds} s per cell after ${settings.warmupSeconds} s warm-up, ${settings.repeat} round(s) per cell ` +
      "(every server back to back in each round; the median round shown, with all rounds' figures in brackets; ratios are the median of the rounds' own ratios); " +
      'server CPU is read from /proc for the server process and its workers; load generator, Redis and PostgreSQL on the same machine.',
    '',
  );
  for (const workers of settings.workers) renderWorkers(lines, result, workers);
  lines.push('**Crypto floor** (one operation, one core, node:crypto unless named)', '', '| operation | µs |', '| --- | ---: |');
  for (const row of result.floor) lines.push(`| ${row.operation} | ${fixed(row.microseconds, 1)} |`);
  return `${lines.join('\n')}\n`;
}

function renderWorkers(lines: string[], result: BenchResult, workers: number): void {
  const { settings, machine } = result;
  const cellOf = (mode: BenchCell['mode'], ceremony: CeremonyKind, target: Target, concurrency?: number) =>
    result.cells.find(
      (cell) => cell.workers === workers && cell.mode === mode && cell.ceremony === ceremony && cell.target === target && (concurrency === undefined || cell.result.concurrency === concurrency),
    );
  // Each round runs the servers back to back, so a slow spell of the machine hits both in the same
  // round: the ratio taken round by round is steadier than the ratio of the two medians.
  const ratio = (cell: BenchCell | undefined, against: BenchCell | undefined, of: 'perSecond' | 'serverCpuMs') => {
    if (cell === undefined || against === undefined) return undefined;
    const rounds = cell.rounds.map((round, i) => round[of] / (against.rounds[i]?.[of] ?? Number.NaN));
    return { median: lowerMedian(rounds, (r) => (Number.isNaN(r) ? Infinity : r)), rounds };
  };
  const shown = (value: { median: number; rounds: number[] } | undefined) =>
    value === undefined ? '' : `${fixed(value.median, 2)}${value.rounds.length > 1 ? ` [${value.rounds.map((r) => fixed(r, 2)).join(', ')}]` : ''}`;

  lines.push(`### ${workers === 1 ? 'One process' : `${workers} processes`} each (gateway WORKERS=${workers}, reference workers=${workers})`, '');
  for (const ceremony of ceremonyKinds) {
    if (!result.cells.some((cell) => cell.workers === workers && cell.ceremony === ceremony)) continue;
    lines.push(
      `**${ceremony}**, closed loop`,
      '',
      '| server | C | ceremonies/s | p50 ms | p95 ms | p99 ms | server CPU ms/ceremony | server CPU / reference | ceremonies/s / reference | server cores busy | Redis + PostgreSQL CPU ms/ceremony | load generator CPU ms/ceremony | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const concurrency of settings.concurrency) {
      const reference = cellOf('closed', ceremony, 'reference', concurrency);
      for (const target of ['gateway', 'gateway (cold clients)', 'baseline', 'reference'] as const) {
        const cell = cellOf('closed', ceremony, target, concurrency);
        if (cell === undefined) continue;
        const r = cell.result;
        const rates = `${fixed(r.perSecond, 0)}${cell.rounds.length > 1 ? ` [${cell.rounds.map((round) => fixed(round.perSecond, 0)).join(', ')}]` : ''}`;
        const cpu = `${fixed(r.serverCpuMsPerCeremony, 2)}${cell.rounds.length > 1 ? ` [${cell.rounds.map((round) => fixed(round.serverCpuMs, 2)).join(', ')}]` : ''}`;
        const versus = target === 'reference' ? undefined : reference;
        lines.push(
          `| ${target} | ${concurrency} | ${rates} | ${fixed(r.p50Ms)} | ${fixed(r.p95Ms)} | ${fixed(r.p99Ms)} | ${cpu} | ${shown(ratio(cell, versus, 'serverCpuMs'))} | ${shown(ratio(cell, versus, 'perSecond'))} | ${fixed(r.serverCores, 2)} | ${fixed(r.storeCpuMsPerCeremony, 2)} | ${fixed(r.clientCpuMsPerCeremony, 2)} | ${r.errors} |`,
        );
      }
    }
    lines.push('');
  }

  const open = result.cells.filter((cell) => cell.workers === workers && cell.mode === 'open');
  if (open.length > 0) {
    lines.push(
      `**Open loop**: every server offered the same arrival rate, ${fixed(100 * settings.openLoopFraction, 0)} % of what the reference served at C = 8; latency from each ceremony's scheduled start`,
      '',
      '| ceremony | server | offered/s | served/s | p50 ms | p95 ms | p99 ms | server CPU ms/ceremony | errors |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const cell of open) {
      const r = cell.result;
      lines.push(`| ${cell.ceremony} | ${cell.target} | ${cell.rate ?? ''} | ${fixed(r.perSecond, 0)} | ${fixed(r.p50Ms)} | ${fixed(r.p95Ms)} | ${fixed(r.p99Ms)} | ${fixed(r.serverCpuMsPerCeremony, 2)} | ${r.errors} |`);
    }
    lines.push('');
  }

  lines.push(`**Targets, ${workers === 1 ? 'one process' : `${workers} processes`} each**`, '');
  const unwrapUs = result.floor.find((row) => row.operation.startsWith('RSA-2048'))?.microseconds ?? Number.NaN;
  const cores = Math.min(workers, machine.cores);
  for (const ceremony of ceremonyKinds) {
    const gateway = cellOf('closed', ceremony, 'gateway', 8);
    if (gateway === undefined) continue;
    const reference = cellOf('closed', ceremony, 'reference', 8);
    if (reference !== undefined) {
      const cpu = ratio(gateway, reference, 'serverCpuMs')?.median ?? Number.NaN;
      lines.push(`- ${ceremony}: server CPU per ceremony at C = 8, gateway / reference = ${fixed(cpu, 2)} (${fixed(gateway.result.serverCpuMsPerCeremony, 2)} vs ${fixed(reference.result.serverCpuMsPerCeremony, 2)} ms; target ≤ 1.0: ${cpu <= 1 ? 'met' : 'NOT met'})`);
    }
    const openGateway = cellOf('open', ceremony, 'gateway');
    const openReference = cellOf('open', ceremony, 'reference');
    if (openGateway !== undefined && openReference !== undefined) {
      const [mine, theirs] = [openGateway.result.p99Ms, openReference.result.p99Ms];
      lines.push(`- ${ceremony}: p99 at the same offered load (${openGateway.rate ?? ''}/s) ${fixed(mine)} vs ${fixed(theirs)} ms (target ≤ reference × 1.1: ${mine <= theirs * 1.1 ? 'met' : 'NOT met'})`);
    }
    const baseline = cellOf('closed', ceremony, 'baseline', 8);
    if (baseline !== undefined) {
      const cpu = ratio(gateway, baseline, 'serverCpuMs')?.median ?? Number.NaN;
      lines.push(
        `- ${ceremony}, this build against the baseline build at C = 8: server CPU ${fixed(gateway.result.serverCpuMsPerCeremony, 2)} vs ${fixed(baseline.result.serverCpuMsPerCeremony, 2)} ms per ceremony (ratio ${fixed(cpu, 2)}); ` +
          `${fixed(gateway.result.perSecond, 0)} vs ${fixed(baseline.result.perSecond, 0)} ceremonies/s; Redis + PostgreSQL CPU ${fixed(gateway.result.storeCpuMsPerCeremony, 2)} vs ${fixed(baseline.result.storeCpuMsPerCeremony, 2)} ms`,
      );
    }
    const cold = cellOf('closed', ceremony, 'gateway (cold clients)', 8);
    if (cold !== undefined) {
      // One extra unwrap per ceremony (the second call hits the cache), spread over the gateway's cores.
      const predicted = 1 / (1 / gateway.result.perSecond + unwrapUs / 1e6 / cores);
      lines.push(
        `- ${ceremony}, cold clients: ${fixed(cold.result.perSecond, 0)}/s = ${fixed((100 * cold.result.perSecond) / predicted, 0)}% of the ${fixed(predicted, 0)}/s that warm throughput plus one RSA unwrap per ceremony allows ` +
          `(target ≥ 80%: ${cold.result.perSecond >= 0.8 * predicted ? 'met' : 'NOT met'}); the RSA unwrap alone would cap ${cores} core(s) at ${fixed((cores * 1e6) / unwrapUs, 0)}/s`,
      );
    }
  }
  lines.push('');
}

/** The middle item by `value` (the lower middle one for an even count); `items` must not be empty. */
export function lowerMedian<T>(items: readonly T[], value: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => value(a) - value(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
