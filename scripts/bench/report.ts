import type { FloorRow } from './crypto-floor.js';
import type { CellResult } from './load-generator.js';

export type CeremonyKind = 'registration' | 'sign-in';
export type Target = 'gateway' | 'gateway (cold clients)' | 'reference' | 'baseline';

export interface BenchResult {
  date: string;
  machine: { cores: number; loadBefore: number[]; loadAfter: number[]; node: string };
  settings: { seconds: number; warmupSeconds: number; primeSeconds: number; repeat: number; concurrency: number[]; gatewayWorkers: number; referenceWorkers: number };
  floor: FloorRow[];
  cells: { ceremony: CeremonyKind; target: Target; result: CellResult; /** ceremonies/s of every round, when repeated */ rounds?: number[] }[];
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

/** The benchmark's markdown: one table per ceremony, the target checks, then the crypto floor. */
export function renderMarkdown(result: BenchResult): string {
  const lines: string[] = [];
  const { settings, machine } = result;
  lines.push(
    `Benchmark of ${result.date.slice(0, 10)} (${machine.cores} cores, Node ${machine.node}, load average before ${machine.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${machine.loadAfter.map((l) => l.toFixed(2)).join(' ')}); ` +
      `gateway WORKERS=${settings.gatewayWorkers}, reference workers=${settings.referenceWorkers}; each server primed ${settings.primeSeconds} s per ceremony, then ${settings.seconds} s per cell after ${settings.warmupSeconds} s warm-up` +
      `${settings.repeat > 1 ? `, ${settings.repeat} rounds per cell (the median round shown, all rounds' ceremonies/s in brackets; gateway / reference is the median of the rounds' own ratios, each in brackets)` : ''}; ` +
      'load generator, Redis and PostgreSQL on the same machine.',
    '',
  );
  const findCell = (ceremony: CeremonyKind, target: string, concurrency: number) =>
    result.cells.find((cell) => cell.ceremony === ceremony && cell.target === target && cell.result.concurrency === concurrency);
  const find = (ceremony: CeremonyKind, target: string, concurrency: number): CellResult | undefined => findCell(ceremony, target, concurrency)?.result;
  // Each round runs the servers back to back, so a slow spell of the machine hits both in the same
  // round: the ratio taken round by round is steadier than the ratio of the two medians.
  const ratioOf = (ceremony: CeremonyKind, target: string, concurrency: number): { median: number; rounds?: number[] } | undefined => {
    const cell = findCell(ceremony, target, concurrency);
    const reference = findCell(ceremony, 'reference', concurrency);
    if (cell === undefined || reference === undefined) return undefined;
    const own = cell.rounds;
    const theirs = reference.rounds;
    if (own === undefined || theirs === undefined || own.length !== theirs.length) return { median: cell.result.perSecond / reference.result.perSecond };
    const rounds = own.map((rate, i) => rate / theirs[i]!);
    return { median: lowerMedian(rounds, (ratio) => ratio), rounds };
  };

  for (const ceremony of ['registration', 'sign-in'] as const) {
    lines.push(`**${ceremony}**`, '', '| server | C | ceremonies/s | p50 ms | p95 ms | p99 ms | server CPU ms/ceremony | server cores busy | Redis + PostgreSQL CPU ms/ceremony | load generator CPU ms/ceremony | gateway / reference | errors |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const concurrency of settings.concurrency) {
      for (const target of ['gateway', 'gateway (cold clients)', 'baseline', 'reference']) {
        const cell = find(ceremony, target, concurrency);
        if (cell === undefined) continue;
        const rounds = findCell(ceremony, target, concurrency)?.rounds;
        const rate = `${fixed(cell.perSecond, 0)}${rounds === undefined ? '' : ` [${rounds.map((r) => fixed(r, 0)).join(', ')}]`}`;
        const ratios = target === 'reference' ? undefined : ratioOf(ceremony, target, concurrency);
        const ratio = ratios === undefined ? '' : `${fixed(ratios.median, 2)}${ratios.rounds === undefined ? '' : ` [${ratios.rounds.map((r) => fixed(r, 2)).join(', ')}]`}`;
        lines.push(
          `| ${target} | ${concurrency} | ${rate} | ${fixed(cell.p50Ms)} | ${fixed(cell.p95Ms)} | ${fixed(cell.p99Ms)} | ${fixed(cell.serverCpuMsPerCeremony, 2)} | ${fixed(cell.serverCores, 2)} | ${fixed(cell.storeCpuMsPerCeremony, 2)} | ${fixed(cell.clientCpuMsPerCeremony, 2)} | ${ratio} | ${cell.errors} |`,
        );
      }
    }
    lines.push('');
  }

  lines.push('**Targets at C = 8**', '');
  const unwrapUs = result.floor.find((row) => row.operation.startsWith('RSA-2048'))?.microseconds ?? Number.NaN;
  const cores = Math.min(settings.gatewayWorkers, machine.cores);
  for (const ceremony of ['registration', 'sign-in'] as const) {
    const gateway = find(ceremony, 'gateway', 8);
    const reference = find(ceremony, 'reference', 8);
    const cold = find(ceremony, 'gateway (cold clients)', 8);
    const baseline = find(ceremony, 'baseline', 8);
    if (gateway === undefined) continue;
    if (reference !== undefined) {
      const ratio = ratioOf(ceremony, 'gateway', 8)?.median ?? Number.NaN;
      lines.push(`- ${ceremony}: gateway / reference = ${fixed(ratio, 2)}${settings.repeat > 1 ? ' (median of the rounds\' ratios)' : ''} (target ≥ 1.0: ${ratio >= 1 ? 'met' : 'NOT met'}); p99 ${fixed(gateway.p99Ms)} vs ${fixed(reference.p99Ms)} ms (target ≤: ${gateway.p99Ms <= reference.p99Ms ? 'met' : 'NOT met'})`);
    }
    if (baseline !== undefined) {
      lines.push(
        `- ${ceremony}, this build against the baseline build: ${fixed(gateway.perSecond, 0)} vs ${fixed(baseline.perSecond, 0)} ceremonies/s; ` +
          `server CPU ${fixed(gateway.serverCpuMsPerCeremony, 2)} vs ${fixed(baseline.serverCpuMsPerCeremony, 2)} ms; Redis + PostgreSQL CPU ${fixed(gateway.storeCpuMsPerCeremony, 2)} vs ${fixed(baseline.storeCpuMsPerCeremony, 2)} ms per ceremony`,
      );
    }
    if (cold !== undefined) {
      // One extra unwrap per ceremony (the second call hits the cache), spread over the gateway's cores.
      const predicted = 1 / (1 / gateway.perSecond + unwrapUs / 1e6 / cores);
      const ceiling = (cores * 1e6) / unwrapUs;
      lines.push(
        `- ${ceremony}, cold clients: ${fixed(cold.perSecond, 0)}/s = ${fixed((100 * cold.perSecond) / predicted, 0)}% of the ${fixed(predicted, 0)}/s that warm throughput plus one RSA unwrap per ceremony allows ` +
          `(target ≥ 80%: ${cold.perSecond >= 0.8 * predicted ? 'met' : 'NOT met'}); the RSA unwrap alone would cap ${cores} core(s) at ${fixed(ceiling, 0)}/s`,
      );
    }
  }
  lines.push('', '**Crypto floor** (one operation, one core, node:crypto unless named)', '', '| operation | µs |', '| --- | ---: |');
  for (const row of result.floor) lines.push(`| ${row.operation} | ${fixed(row.microseconds, 1)} |`);
  return `${lines.join('\n')}\n`;
}

/** The middle item by `value` (the lower middle one for an even count); `items` must not be empty. */
export function lowerMedian<T>(items: readonly T[], value: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => value(a) - value(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
