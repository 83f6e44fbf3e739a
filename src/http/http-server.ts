import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errorTable, type HttpReason } from '../errors/gateway-error.js';
import type { RpcDispatcher } from '../rpc/rpc-dispatcher.js';
import type { CallContext } from '../rpc/rpc-method.js';
import { limits } from '../domain/limits.js';
import type { ScopeRegistry } from '../scopes/scope-registry.js';
import { clientIpOf } from './client-ip.js';
import type { PageRoute } from '../demo/demo-routes.js';

const ALLOWED_HEADERS = 'content-type, x-scope-id, x-encrypted-key, x-encrypted-user, x-encrypted-session';
// `authorization` carries the admin bearer token and `x-encrypted-key-signature` a delegate key's
// signature (keys an app keeps on its servers: @0xpass/key-signer runs in Node); neither is in
// ALLOWED_HEADERS, so browsers on other origins cannot send them.
const FORWARDED_HEADERS = ['x-scope-id', 'x-encrypted-key', 'x-encrypted-user', 'x-encrypted-session', 'x-encrypted-key-signature', 'authorization'] as const;

export interface HttpDeps {
  rpc: RpcDispatcher;
  scopes: ScopeRegistry;
  log: Logger;
  /** Extra GET routes (e.g. health, key publication), exact path → JSON producer (given the Host header). */
  getRoutes?: Record<string, (request: { host: string | undefined }) => Promise<{ status: number; body: unknown }> | { status: number; body: unknown }>;
  /** GET routes answering other content (the demo page and its assets), exact path → response. */
  pageRoutes?: Record<string, PageRoute>;
  /** Reverse proxies whose X-Forwarded-For entry is trusted for the client address (default 0). */
  trustProxyHops?: number;
}

/** The HTTP edge: CORS, method and size checks, then the JSON-RPC body to the dispatcher. */
export function createHttpServer(deps: HttpDeps): Server {
  const server = createServer({ maxHeaderSize: limits.headerBytes }, (req, res) => {
    handleRequest(req, res, deps).catch((err: unknown) => {
      deps.log.error({ err }, 'unhandled error in HTTP handler');
      if (!res.headersSent) sendError(res, 'internal_error');
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
  // Answer CORS for any origin some scope allows; the scope's own list is checked per call.
  if (origin !== undefined && deps.scopes.isKnownOrigin(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
  }

  if (path === '/') {
    if (req.method === 'OPTIONS') return preflight(req, res, origin, deps);
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      return sendError(res, 'method_not_allowed');
    }
    return rpcCall(req, res, origin, deps);
  }

  const route = req.method === 'GET' || req.method === 'HEAD' ? deps.getRoutes?.[path ?? ''] : undefined;
  if (route !== undefined) {
    const { status, body } = await route({ host: req.headers.host });
    return sendJson(res, status, body);
  }
  const page = req.method === 'GET' || req.method === 'HEAD' ? deps.pageRoutes?.[path ?? ''] : undefined;
  if (page !== undefined) {
    const { status, headers, body } = await page(new URL(req.url ?? '/', 'http://gateway').searchParams);
    res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
    return void res.end(body);
  }
  sendError(res, 'not_found');
}

function preflight(req: IncomingMessage, res: ServerResponse, origin: string | undefined, deps: HttpDeps): void {
  if (origin !== undefined && deps.scopes.isKnownOrigin(origin)) {
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
  }
  res.statusCode = 204;
  res.end();
}

async function rpcCall(req: IncomingMessage, res: ServerResponse, origin: string | undefined, deps: HttpDeps): Promise<void> {
  if (hasOversizedHeader(req)) return headersTooLarge(req, res);
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json' && contentType !== 'application/json-rpc') {
    req.resume();
    return sendError(res, 'unsupported_media_type');
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limits.bodyBytes) return tooLarge(req, res);

  const body = await readBody(req, limits.bodyBytes);
  if (body === null) return tooLarge(req, res);

  const requestId = randomUUID();
  const headers: Record<string, string | undefined> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = req.headers[name];
    headers[name] = Array.isArray(value) ? value[0] : value;
  }
  const clientIp = clientIpOf(req, deps.trustProxyHops ?? 0);
  const ctx: CallContext = { requestId, log: deps.log, headers, origin, clientIp };
  const reply = await deps.rpc.handle(body, ctx);
  res.setHeader('X-Request-Id', requestId);
  if (reply === null) {
    res.statusCode = 204;
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(reply) });
  res.end(reply);
}

/** Reads the body up to `max` bytes; null when it is longer. */
function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/** One header value over the limit (all of them together are capped by Node's maxHeaderSize, also 431). */
function hasOversizedHeader(req: IncomingMessage): boolean {
  for (const value of Object.values(req.headers)) {
    const values = Array.isArray(value) ? value : [value ?? ''];
    if (values.some((one) => one.length > limits.headerValueChars)) return true;
  }
  return false;
}

function headersTooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  sendError(res, 'request_header_fields_too_large');
  req.resume();
}

function tooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Connection', 'close');
  sendError(res, 'payload_too_large');
  req.resume();
}

/** An answer of the HTTP edge itself: the reason's status and `{"error": reason}`. */
function sendError(res: ServerResponse, reason: HttpReason): void {
  sendJson(res, errorTable[reason].status, { error: reason });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
