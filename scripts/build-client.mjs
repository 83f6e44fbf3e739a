// Bundles the browser client library, the demo page and the operators' console with esbuild into
// dist/client, dist/demo and dist/console.
// Run by `npm run build`, by build-if-needed.mjs (so `npm start` on a fresh clone serves /demo) and by
// the tests that serve the demo. Files are replaced atomically: test files may build side by side.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const common = { bundle: true, format: 'esm', platform: 'browser', target: ['es2022'], logLevel: 'warning', legalComments: 'none', write: false };

function writeAtomically(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

export async function buildClient() {
  const results = await Promise.all([
    // The library for apps that load it without a bundler of their own.
    build({ ...common, entryPoints: [join(root, 'src/client/index.ts')], outfile: join(root, 'dist/client/passkey-gateway-client.js'), sourcemap: true }),
    build({ ...common, entryPoints: [join(root, 'src/demo/page/demo.ts')], outfile: join(root, 'dist/demo/demo.js'), minify: true }),
    // The "app with its own users" page, served by scripts/own-users-app.ts.
    build({ ...common, entryPoints: [join(root, 'src/demo/page/own-users.ts')], outfile: join(root, 'dist/demo/own-users.js'), minify: true }),
    build({ ...common, entryPoints: [join(root, 'src/operators/console/console.ts')], outfile: join(root, 'dist/console/console.js'), minify: true }),
  ]);
  for (const file of results.flatMap((result) => result.outputFiles)) writeAtomically(file.path, file.contents);
  for (const name of ['index.html', 'own-users.html', 'demo.css']) writeAtomically(join(root, 'dist/demo', name), readFileSync(join(root, 'src/demo/page', name)));
  for (const name of ['index.html', 'console.css']) writeAtomically(join(root, 'dist/console', name), readFileSync(join(root, 'src/operators/console', name)));
}

if (import.meta.url === `file://${process.argv[1]}`) await buildClient();
