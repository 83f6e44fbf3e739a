/**
 * The backend of the "app with its own users" demo: a tiny app with a fake user list and password
 * sign-in that adds passkeys to its users through the gateway. It holds the scope's API key and uses
 * the Node helper (passkey-gateway/server): a registration token for the signed-in user's id, and
 * verifySignIn for a passkey sign-in. It serves its page (src/demo/page/own-users.ts, bundled into
 * dist/demo) from its own origin, which talks to the gateway cross-origin, as a real app's would.
 *
 *   npm run -s own-users-app -- --gateway http://localhost:9545 --scope <scope id> --api-key-file key.txt [--port 9547]
 *
 * The scope's origins must include the app's origin (http://localhost:9547 by default).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { GatewayServer, isGatewayServerError } from '../src/server/index.js';

/** One of the app's own users: the app, not the gateway, owns these ids and passwords. */
export interface AppUser {
  user_id: string;
  username: string;
  name: string;
  password: string;
}

export const DEMO_USERS: readonly AppUser[] = [
  { user_id: 'u-1001', username: 'alice', name: 'Alice Example', password: 'alice-password' },
  { user_id: 'u-1002', username: 'bob', name: 'Bob Example', password: 'bob-password' },
];

export interface OwnUsersAppOptions {
  /** The gateway's JSON-RPC URL. */
  gatewayUrl: string;
  scopeId: string;
  /** The scope's server API key. */
  apiKey: string;
  /** The gateway's RSA public key (getEncryptionKey), put into the page for the browser client. */
  publicKey: string;
  port?: number;
  host?: string;
  /** Where the bundled page lives; defaults to <package>/dist/demo. */
  assetsDir?: string;
  users?: readonly AppUser[];
}

export interface OwnUsersApp {
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 4096;
const loginSchema = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(128) });
const signInSchema = z.object({ sign_in_token: z.string().min(1).max(256) });

interface AppSession {
  userId: string;
  method: 'password' | 'passkey' | 'password+passkey';
  /** The password was right, but the user has a passkey: the passkey, as a second factor, is still to come. */
  pending?: true;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export async function startOwnUsersApp(options: OwnUsersAppOptions): Promise<OwnUsersApp> {
  const users = options.users ?? DEMO_USERS;
  const gateway = new GatewayServer({ url: options.gatewayUrl, scopeId: options.scopeId, apiKey: options.apiKey });
  const assetsDir = options.assetsDir ?? join(packageRoot(), 'dist', 'demo');
  // What a real app keeps in its database: its sessions, and each user's gateway account id.
  const sessions = new Map<string, AppSession>();
  const accountOfUser = new Map<string, string>();
  const gatewayOrigin = new URL(options.gatewayUrl).origin;
  const csp = `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ${gatewayOrigin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

  const userView = (session: AppSession) => {
    const user = users.find((candidate) => candidate.user_id === session.userId)!;
    return { user_id: user.user_id, name: user.name, method: session.method, account_id: accountOfUser.get(user.user_id) ?? null };
  };
  const sessionOf = (request: IncomingMessage): AppSession | undefined => {
    const id = /(?:^|;\s*)app_session=([A-Za-z0-9_-]{43})(?:;|$)/.exec(request.headers.cookie ?? '')?.[1];
    return id === undefined ? undefined : sessions.get(id);
  };
  const requireSession = (request: IncomingMessage): AppSession => {
    const session = sessionOf(request);
    if (session === undefined || session.pending) throw new HttpFailure(401, 'not_signed_in');
    return session;
  };
  const startSession = (response: ServerResponse, session: AppSession) => {
    const id = randomBytes(32).toString('base64url');
    sessions.set(id, session);
    response.setHeader('Set-Cookie', `app_session=${id}; HttpOnly; SameSite=Strict; Path=/`);
  };

  const api: Record<string, (request: IncomingMessage, response: ServerResponse, body: unknown) => Promise<unknown>> = {
    '/api/me': (request) => Promise.resolve({ user: ((session) => (session === undefined || session.pending ? null : userView(session)))(sessionOf(request)) }),
    '/api/login': async (_request, response, body) => {
      const { username, password } = loginSchema.parse(body);
      const user = users.find((candidate) => candidate.username === username && candidate.password === password);
      if (user === undefined) throw new HttpFailure(401, 'wrong_password');
      if (accountOfUser.has(user.user_id)) {
        // A user with a passkey confirms the password with it: a sign-in token offering only this user's passkeys.
        const { sign_in_token } = await gateway.createSignInToken({ user_id: user.user_id });
        startSession(response, { userId: user.user_id, method: 'password', pending: true });
        return { second_factor: { sign_in_token } };
      }
      const session: AppSession = { userId: user.user_id, method: 'password' };
      startSession(response, session);
      return { user: userView(session) };
    },
    // The second factor counts only as verifySignIn tells it: a second-factor sign-in of the very user whose password was right.
    '/api/passkeys/second-factor': async (request, response, body) => {
      const pending = sessionOf(request);
      if (pending?.pending !== true) throw new HttpFailure(401, 'not_signed_in');
      const { sign_in_token } = signInSchema.parse(body);
      const signIn = await gateway.verifySignIn(sign_in_token);
      if (!signIn.second_factor || signIn.user_id !== pending.userId) throw new HttpFailure(403, 'second_factor_mismatch');
      const session: AppSession = { userId: pending.userId, method: 'password+passkey' };
      startSession(response, session);
      return { user: userView(session) };
    },
    '/api/logout': (request, response) => {
      const id = /(?:^|;\s*)app_session=([A-Za-z0-9_-]{43})(?:;|$)/.exec(request.headers.cookie ?? '')?.[1];
      if (id !== undefined) sessions.delete(id);
      response.setHeader('Set-Cookie', 'app_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0');
      return Promise.resolve({ signed_out: true });
    },
    // The signed-in user gets a token for its own user id only; the API key stays here.
    '/api/passkeys/registration-token': async (request) => {
      const user = users.find((candidate) => candidate.user_id === requireSession(request).userId)!;
      const { registration_token, expires_at } = await gateway.createRegistrationToken({ user_id: user.user_id, username: user.username, display_name: user.name });
      return { registration_token, expires_at };
    },
    // The page says a registration finished; the app asks the gateway which account its user now has, never taking the page's word.
    '/api/passkeys/registered': async (request) => {
      const session = requireSession(request);
      // The app gave the token its user's username, so that name now belongs to this user's account.
      const user = users.find((candidate) => candidate.user_id === session.userId)!;
      const account = await gateway.findAccount({ username: user.username });
      accountOfUser.set(session.userId, account.account_id);
      return { user: userView(session) };
    },
    '/api/passkeys/sign-in': async (_request, response, body) => {
      const { sign_in_token } = signInSchema.parse(body);
      const signIn = await gateway.verifySignIn(sign_in_token);
      const user = users.find((candidate) => candidate.user_id === signIn.user_id);
      if (user === undefined) throw new HttpFailure(403, 'unknown_user');
      accountOfUser.set(user.user_id, signIn.account_id);
      const session: AppSession = { userId: user.user_id, method: 'passkey' };
      startSession(response, session);
      return { user: userView(session) };
    },
  };

  const assets: Record<string, [string, string]> = {
    '/own-users.js': ['own-users.js', 'text/javascript; charset=utf-8'],
    '/demo.css': ['demo.css', 'text/css; charset=utf-8'],
  };

  const server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? '/', 'http://app').pathname;
      const headers = { 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' };
      if (request.method === 'GET' && path === '/') {
        const config = JSON.stringify({ gatewayUrl: options.gatewayUrl, scopeId: options.scopeId, publicKey: options.publicKey }).replaceAll('<', '\\u003c');
        const html = readFileSync(join(assetsDir, 'own-users.html'), 'utf8').replace('<!--app-config-->', `<script type="application/json" id="app-config">${config}</script>`);
        response.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }).end(html);
        return;
      }
      const asset = assets[path];
      if (request.method === 'GET' && asset !== undefined) {
        response.writeHead(200, { ...headers, 'Content-Type': asset[1] }).end(readFileSync(join(assetsDir, asset[0])));
        return;
      }
      const handler = api[path];
      if (request.method !== 'POST' || handler === undefined) {
        response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
        return;
      }
      try {
        // Same-origin JSON only: a cross-site form cannot send this content type without a preflight.
        if (request.headers['content-type'] !== 'application/json') throw new HttpFailure(415, 'json_only');
        const result = await handler(request, response, await readJson(request));
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(result));
      } catch (error) {
        const [status, reason] =
          error instanceof HttpFailure ? [error.status, error.reason]
          : error instanceof z.ZodError ? [400, 'invalid_input']
          : isGatewayServerError(error) ? [502, String(error.reason)]
          : [500, 'internal_error'];
        if (status >= 500 && !isGatewayServerError(error)) console.error(error);
        response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: reason }));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 9547, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The directory holding package.json, from scripts/ (tests) or dist/scripts/ (built). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    if (dirname(dir) === dir) throw new Error('package.json not found above the app script');
    dir = dirname(dir);
  }
  return dir;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpFailure(413, 'too_large');
    chunks.push(chunk);
  }
  try {
    return chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
  } catch {
    throw new HttpFailure(400, 'invalid_input');
  }
}

async function fetchPublicKey(gatewayUrl: string): Promise<string> {
  const response = await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getEncryptionKey' }) });
  const reply = z.object({ result: z.object({ public_key: z.string() }) }).parse(await response.json());
  return reply.result.public_key;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { gateway: { type: 'string' }, scope: { type: 'string' }, 'api-key-file': { type: 'string' }, port: { type: 'string' } } });
  if (values.gateway === undefined || values.scope === undefined || values['api-key-file'] === undefined) {
    process.stderr.write('usage: npm run -s own-users-app -- --gateway URL --scope SCOPE_ID --api-key-file FILE [--port 9547]\n');
    process.exit(2);
  }
  const apiKey = readFileSync(values['api-key-file'], 'utf8').trim();
  const app = await startOwnUsersApp({ gatewayUrl: values.gateway, scopeId: values.scope, apiKey, publicKey: await fetchPublicKey(values.gateway), port: Number(values.port ?? 9547) });
  process.stdout.write(`own-users demo app on ${app.url} (the scope's origins must include it)\n`);
  const stop = () => void app.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
