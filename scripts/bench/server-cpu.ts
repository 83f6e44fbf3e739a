import { readFileSync } from 'node:fs';

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
