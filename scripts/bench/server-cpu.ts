import { readdirSync, readFileSync } from 'node:fs';

// Linux reports process times in clock ticks; 100 per second on every common kernel configuration.
const TICKS_PER_SECOND = 100;

/** CPU milliseconds (user + system) used so far by `pid` and all its descendants (cluster workers). */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  const pending = [pid];
  // Bounded: a server tree here is a primary and a handful of workers.
  for (let visited = 0; pending.length > 0 && visited < 1000; visited += 1) {
    const current = pending.pop()!;
    ticks += ownTicks(current);
    pending.push(...childrenOf(current));
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

function ownTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU ticks so far of every process whose command name is one of `names`, by pid. */
export type CpuSnapshot = Map<number, number>;

export function namedProcessesCpu(names: readonly string[]): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (names.includes(name)) snapshot.set(Number(entry), ownTicks(Number(entry)));
    } catch {
      // The process ended between listing and reading.
    }
  }
  return snapshot;
}

/**
 * CPU milliseconds those processes used between two snapshots, per process, so a database backend
 * that exits in between (a pool closing an idle connection) does not subtract its whole lifetime.
 */
export function cpuMsBetween(start: CpuSnapshot, end: CpuSnapshot): number {
  let ticks = 0;
  for (const [pid, endTicks] of end) ticks += endTicks - (start.get(pid) ?? 0);
  return (ticks * 1000) / TICKS_PER_SECOND;
}
