// Writes rpc-schema/openrpc.json from the zod schemas. `npm run rpc-schema`; a test fails when the file drifts.
import { readFileSync, writeFileSync } from 'node:fs';
import { buildOpenRpcDocument } from '../src/openrpc.js';

const root = new URL('../..', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
const target = new URL('rpc-schema/openrpc.json', root);
writeFileSync(target, `${JSON.stringify(buildOpenRpcDocument(version), null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
