// Summarises V8 CPU profiles (from `npm run bench -- --profile DIR`, which also writes the summary):
// self time by package and by function, heaviest first, as shares of busy (non-idle) time.
//   node dist/scripts/bench/profile-summary.js DIR [--top 40]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The summary of every `.cpuprofile` in `dir`, as Markdown text. */
export function summarizeProfiles(dir: string, top = 40): string {
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let busy = 0;
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, index) => {
      const node = nodes.get(id);
      // timeDeltas[i] is the gap before sample i; the time spent where sample i was taken is the gap
      // after it (as DevTools charges it), else a function's cost lands on whatever ran after a wait.
      const micros = profile.timeDeltas[index + 1] ?? 0;
      if (node === undefined || node.callFrame.functionName === '(idle)') return;
      const { functionName, url, lineNumber } = node.callFrame;
      const where = url.replace(/^file:\/\/.*?node_modules\//, '').replace(/^file:\/\/.*?\/dist\//, 'dist/');
      const fn = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
      byPackage.set(packageOf(url, functionName, where), (byPackage.get(packageOf(url, functionName, where)) ?? 0) + micros);
      busy += micros;
    });
  }
  const table = (title: string, map: Map<string, number>) =>
    [
      `**${title}** (busy ${(busy / 1000).toFixed(0)} ms)`,
      '',
      '| share | ms | where |',
      '| ---: | ---: | --- |',
      ...[...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([name, micros]) => `| ${((100 * micros) / busy).toFixed(1)} % | ${(micros / 1000).toFixed(0)} | ${name.replaceAll('|', '\\|')} |`),
      '',
    ].join('\n');
  return [table(`self time by package: ${dir}`, byPackage), table(`self time by function: ${dir}`, byFunction)].join('\n');
}

/** An npm package (with its scope), a node: module, one of ours by folder, or a V8 pseudo-frame. */
function packageOf(url: string, functionName: string, where: string): string {
  if (url === '') return `(${functionName})`;
  if (url.includes('node_modules/')) {
    const rest = url.split('node_modules/').pop() ?? '';
    return rest.split('/').slice(0, rest.startsWith('@') ? 2 : 1).join('/');
  }
  // node:internal/crypto/…, node:internal/streams/…: the subsystem, not all of Node's internals as one.
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, url.startsWith('node:internal/') ? 2 : 1).join('/')}`;
  return where.split('/').slice(0, 3).join('/');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '40' } } });
  const dir = positionals[0];
  if (dir === undefined) throw new Error('usage: profile-summary DIR [--top N]');
  process.stdout.write(summarizeProfiles(dir, Math.min(500, Math.max(1, Number(values.top) || 40))));
}
