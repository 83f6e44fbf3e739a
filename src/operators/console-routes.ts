import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, SECURITY_HEADERS, type PageResponse, type PageRoute } from '../demo/demo-routes.js';

export interface ConsoleDeps {
  /** The gateway's RSA public key, base64 SPKI DER, injected into the page. */
  publicKey: string;
  /** The operators' scope: the only scope the page signs in to. */
  operatorScopeId: string;
  /** Where scripts/build-client.mjs put the bundle; defaults to <package>/dist/console. */
  assetsDir?: string;
}

const CONFIG_SLOT = '<!--gateway-config-->';

/**
 * GET /admin (the operators' console, with {scopeId, publicKey} in a JSON script block) and its
 * bundled assets. The page holds no secret: operators sign in with passkeys of the operators'
 * scope, and an invite token travels in the URL fragment, which is never sent here.
 */
export function createConsoleRoutes(deps: ConsoleDeps): Record<string, PageRoute> {
  const dir = deps.assetsDir ?? join(packageRoot(), 'dist', 'console');
  const files = new Map<string, Buffer | null>();
  const read = (name: string): Buffer | null => {
    if (!files.has(name)) files.set(name, existsSync(join(dir, name)) ? readFileSync(join(dir, name)) : null);
    return files.get(name) ?? null;
  };
  const notBuilt: PageResponse = { status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'The console is not built: run `npm run build`.\n' };
  const asset = (name: string, contentType: string): PageRoute => () => {
    const body = read(name);
    return body === null ? notBuilt : { status: 200, headers: { 'Content-Type': contentType, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS }, body };
  };
  return {
    '/admin': () => {
      const template = read('index.html');
      if (template === null) return notBuilt;
      // JSON in a non-executed script block; escaping "<" keeps it from closing the element.
      const json = JSON.stringify({ scopeId: deps.operatorScopeId, publicKey: deps.publicKey }).replaceAll('<', '\\u003c');
      const html = template.toString('utf8').replace(CONFIG_SLOT, `<script type="application/json" id="gateway-config">${json}</script>`);
      return { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...SECURITY_HEADERS }, body: html };
    },
    '/admin/console.js': asset('console.js', 'text/javascript; charset=utf-8'),
    '/admin/console.css': asset('console.css', 'text/css; charset=utf-8'),
  };
}
