import { readFileSync } from 'node:fs';

/**
 * The gateway's version from its package.json, found by walking up from this file (src/ under
 * ts-jest, dist/src/ when built), read on each call: callers keep what they need.
 */
export function packageVersion(): string {
  for (let dir = new URL('./', import.meta.url); dir.pathname !== '/'; dir = new URL('../', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'passkey-gateway' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json at this level
    }
  }
  return '0.0.0';
}
