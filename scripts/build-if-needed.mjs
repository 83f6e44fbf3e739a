// Builds dist/ when it is missing or older than any TypeScript source, so `npm start` works from a fresh clone.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const marker = join(root, 'dist', 'src', 'main.js');

function newestSource(dir, extensions = ['.ts']) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path, extensions));
    else if (extensions.some((ext) => entry.name.endsWith(ext))) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const built = existsSync(marker) ? statSync(marker).mtimeMs : 0;
const sources = Math.max(newestSource(join(root, 'src')), newestSource(join(root, 'scripts')), statSync(join(root, 'tsconfig.json')).mtimeMs);
if (built < sources) {
  process.stderr.write('building passkey-gateway…\n');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
}

// The browser bundles (client library, demo page, console) have their own inputs and outputs.
const bundles = [join(root, 'dist', 'demo', 'demo.js'), join(root, 'dist', 'console', 'console.js')];
const bundled = Math.min(...bundles.map((bundle) => (existsSync(bundle) ? statSync(bundle).mtimeMs : 0)));
const browserSources = Math.max(
  newestSource(join(root, 'src', 'client')),
  newestSource(join(root, 'src', 'demo'), ['.ts', '.html', '.css']),
  newestSource(join(root, 'src', 'operators', 'console'), ['.ts', '.html', '.css']),
  statSync(join(root, 'scripts', 'build-client.mjs')).mtimeMs,
);
if (bundled < browserSources) {
  process.stderr.write('bundling the browser client, demo and console…\n');
  const { buildClient } = await import('./build-client.mjs');
  await buildClient();
}
