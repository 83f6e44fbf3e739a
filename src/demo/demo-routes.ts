import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** A non-JSON answer for the HTTP edge's page routes. */
export interface PageResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export type PageRoute = (query: URLSearchParams) => Promise<PageResponse> | PageResponse;

export interface DemoDeps {
  /** The gateway's RSA public key, base64 SPKI DER, injected into the page. */
  publicKey: string;
  /** The scope the page uses when the URL names none (the development scope). */
  defaultScopeId: string | null;
  /** Where scripts/build-client.mjs put the bundle; defaults to <package>/dist/demo. */
  assetsDir?: string;
}

// The page loads only its own script and stylesheet and talks only to this origin.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The headers of every page the gateway serves (the demo, the console) and of their assets. */
export const SECURITY_HEADERS = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
const scopeParam = z.uuid();
const CONFIG_SLOT = '<!--gateway-config-->';

/**
 * GET /demo (the page, with {scopeId, publicKey} in a JSON script block; `?scope=<uuid>` picks a
 * scope) and its bundled assets. Files are read once, on first use.
 */
export function createDemoRoutes(deps: DemoDeps): Record<string, PageRoute> {
  const dir = deps.assetsDir ?? join(packageRoot(), 'dist', 'demo');
  const files = new Map<string, Buffer | null>();
  const read = (name: string): Buffer | null => {
    if (!files.has(name)) files.set(name, existsSync(join(dir, name)) ? readFileSync(join(dir, name)) : null);
    return files.get(name) ?? null;
  };
  const notBuilt: PageResponse = { status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'The demo is not built: run `npm run build`.\n' };
  const asset = (name: string, contentType: string): PageRoute => () => {
    const body = read(name);
    return body === null ? notBuilt : { status: 200, headers: { 'Content-Type': contentType, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS }, body };
  };

  return {
    '/demo': (query) => {
      const template = read('index.html');
      if (template === null) return notBuilt;
      const requested = query.get('scope');
      if (requested !== null && !scopeParam.safeParse(requested).success) {
        return { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'scope must be a scope id (UUID)\n' };
      }
      const pageConfig = { scopeId: requested ?? deps.defaultScopeId, publicKey: deps.publicKey };
      // JSON in a non-executed script block; escaping "<" keeps it from closing the element.
      const json = JSON.stringify(pageConfig).replaceAll('<', '\\u003c');
      const html = template.toString('utf8').replace(CONFIG_SLOT, `<script type="application/json" id="gateway-config">${json}</script>`);
      return { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...SECURITY_HEADERS }, body: html };
    },
    '/demo/demo.js': asset('demo.js', 'text/javascript; charset=utf-8'),
    '/demo/demo.css': asset('demo.css', 'text/css; charset=utf-8'),
  };
}

/** The directory holding package.json, from src/… (tests) or dist/src/… (built). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('package.json not found above the demo module');
}
