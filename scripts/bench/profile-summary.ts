// Summarises V8 CPU profiles (from `npm run bench -- --profile-dir DIR`): self time by function and
// by package, heaviest first.   node dist/scripts/bench/profile-summary.js DIR [--top 40]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '40' } } });
const dir = positionals[0];
if (dir === undefined) throw new Error('usage: profile-summary DIR [--top N]');
const top = Math.min(500, Math.max(1, Number(values.top) || 40));

const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;
for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  profile.samples.forEach((id, index) => {
    const node = nodes.get(id);
    // timeDeltas[i] is the gap before sample i; the time spent where sample i was taken is the gap
    // after it (as DevTools charges it), else a function's cost lands on whatever ran after a wait.
    const micros = profile.timeDeltas[index + 1] ?? 0;
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.replace(/^file:\/\/.*?node_modules\//, '').replace(/^file:\/\/.*?\/dist\//, 'dist/');
    const fn = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
    const pkg = url === '' ? `(${functionName})` : url.includes('node_modules/') ? url.split('node_modules/')[1]!.split('/').slice(0, url.includes('node_modules/@') ? 2 : 1).join('/') : url.startsWith('node:') ? 'node:' + url.slice(5).split('/')[0] : where.split('/').slice(0, 3).join('/');
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
    if (functionName !== '(idle)') total += micros;
  });
}
const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title} (busy ${(total / 1000).toFixed(0)} ms; percentages of busy time)\n`);
  for (const [name, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * micros) / total).toFixed(1).padStart(6)}%  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${name}\n`);
  }
};
print('self time by package', byPackage);
print('self time by function', byFunction);
