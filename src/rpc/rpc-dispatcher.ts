import { randomUUID } from 'node:crypto';
import jayson from 'jayson/promise/index.js';
import { z } from 'zod';
import type { CeremonyRateLimiter } from '../abuse/ceremony-rate-limiter.js';
import type { AdminAuthorizer } from '../admin/admin-token.js';
import { errorTable, GatewayError, isGatewayError } from '../errors/gateway-error.js';
import { sealEnvelope } from '../envelope/aes-gcm-envelope.js';
import type { RsaKeyRing } from '../keys/rsa-key-ring.js';
import type { ScopeRegistry } from '../scopes/scope-registry.js';
import { requireSession, type SessionDeps } from '../sessions/session-context.js';
import { limits } from './limits.js';
import type { CallContext, RpcMethod, ScopedContext } from './rpc-method.js';
import { resolveClientKey, resolveScope } from './scope-context.js';

export interface JsonRpcError {
  code: number;
  message: string;
  data?: string;
}

/** Reasons for the protocol-level errors jayson raises itself, so every error carries `data`. */
const protocolReasons: Record<number, string> = {
  [-32700]: 'parse_error',
  [-32600]: 'invalid_request',
  [-32601]: 'method_not_found',
  [-32602]: 'invalid_params',
  [-32603]: 'internal_error',
};

export interface RpcDispatcher {
  /** Handles one HTTP body; resolves to the JSON text to send, or null when nothing is owed (notifications). */
  handle(body: string, ctx: CallContext): Promise<string | null>;
}

interface DispatchDeps extends SessionDeps {
  scopes: ScopeRegistry;
  rsaKeys: RsaKeyRing;
  /** Counts every call that carries a client key, per scope and client IP. */
  rateLimiter?: CeremonyRateLimiter;
  /** Checks the bearer token of admin methods (which are only in `methods` when a token is configured). */
  authorizeAdmin?: AdminAuthorizer;
  /** Told each call's method, outcome ('ok' or the error reason) and duration, for metrics. */
  onCall?: (method: string, outcome: string, seconds: number) => void;
}

export function createRpcDispatcher(deps: DispatchDeps & { methods: RpcMethod[] }): RpcDispatcher {
  const handlers: Record<string, jayson.MethodLike> = {};
  for (const method of deps.methods) {
    handlers[method.name] = (async (rawParams: unknown, ctx: CallContext) => {
      const started = performance.now();
      try {
        const result = await invoke(method, rawParams, ctx, deps);
        deps.onCall?.(method.name, 'ok', (performance.now() - started) / 1000);
        return result;
      } catch (error) {
        const rpcError = toJsonRpcError(error, ctx, method.name);
        deps.onCall?.(method.name, rpcError.data ?? 'internal_error', (performance.now() - started) / 1000);
        throw rpcError;
      }
    }) as unknown as jayson.MethodLike;
  }
  const server = new jayson.Server(handlers, { useContext: true, version: 2 });

  return {
    async handle(body, ctx) {
      let request: unknown;
      try {
        request = JSON.parse(body);
      } catch {
        return JSON.stringify(errorResponse(null, -32700, 'Parse error'));
      }
      // jayson would re-parse a JSON string as a request body; anything but an object or array is invalid.
      if (request === null || typeof request !== 'object') {
        return JSON.stringify(errorResponse(null, -32600, 'Invalid request'));
      }
      if (Array.isArray(request) && request.length > limits.batchLength) {
        return JSON.stringify(errorResponse(null, -32600, `Invalid request: a batch holds at most ${limits.batchLength} calls`, 'batch_too_large'));
      }
      // jayson never answers a batch whose first entry is an array (the request hangs) and drops array
      // entries elsewhere, so batch entries that are not objects get their Invalid request here.
      let calls: unknown = request;
      let malformed: ReturnType<typeof errorResponse>[] = [];
      if (Array.isArray(request) && request.length > 0) {
        const isCall = (entry: unknown) => entry !== null && typeof entry === 'object' && !Array.isArray(entry);
        malformed = request.filter((entry) => !isCall(entry)).map(() => errorResponse(null, -32600, 'Invalid request'));
        calls = request.filter(isCall);
        if (malformed.length === request.length) return JSON.stringify(malformed);
      }
      // jayson takes `"id": null` for a notification and answers nothing, where JSON-RPC 2.0 owes that
      // call a reply with `"id": null`: such ids pass through jayson as a one-off token and come back null.
      const nullId = `null-id:${randomUUID()}`;
      // jayson hands a single error response as the callback's first argument, a success as the second.
      const response = restoreNullIds(
        await new Promise<unknown>((resolve) => {
          server.call(withNullIdsAs(calls, nullId) as jayson.JSONRPCRequestLike, ctx, (errorResponse: unknown, success: unknown) => resolve(errorResponse ?? success));
        }),
        nullId,
      );
      if (malformed.length > 0) return JSON.stringify([...(Array.isArray(response) ? response : []), ...malformed], addProtocolReason);
      if (response === undefined || response === null || (Array.isArray(response) && response.length === 0)) return null;
      return JSON.stringify(response, addProtocolReason);
    },
  };
}

async function invoke(method: RpcMethod, rawParams: unknown, ctx: CallContext, deps: DispatchDeps): Promise<unknown> {
  if (method.kind === 'public') return method.handler(parseParams(method.params, rawParams), ctx);
  if (method.kind === 'admin') {
    if (deps.authorizeAdmin === undefined) throw new GatewayError('admin_unauthorized', 'no admin token configured');
    deps.authorizeAdmin(ctx.headers.authorization);
    return method.handler(parseParams(method.params, rawParams), ctx);
  }
  // Cheap refusals first: the scope (a cache lookup), then the per-address limit, which every call
  // that carries a client key counts toward (each call of a batch too), before any RSA work.
  const scope = await resolveScope(ctx, deps.scopes);
  await deps.rateLimiter?.consumeClient(scope, ctx.clientIp ?? 'unknown');
  const scoped: ScopedContext = { ...ctx, scope, clientKey: resolveClientKey(ctx, deps.rsaKeys) };
  if (method.kind === 'scoped') return method.handler(parseParams(method.params, rawParams), scoped);
  const withSession = await requireSession(scoped, deps);
  const result = await method.handler(parseParams(method.params, rawParams), withSession);
  // Results of authenticated methods travel sealed like every other payload.
  return { encrypted_result: sealEnvelope(scoped.clientKey.key, JSON.stringify(result)) };
}

function parseParams<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) throw new GatewayError('invalid_params', z.prettifyError(parsed.error));
  return parsed.data;
}

function toJsonRpcError(error: unknown, ctx: CallContext, method: string): JsonRpcError {
  if (isGatewayError(error)) {
    const level = error.reason === 'internal_error' || error.reason === 'service_unavailable' ? 'error' : 'info';
    ctx.log[level]({ method, reason: error.reason, detail: error.detail, err: error.cause }, 'call refused');
    return { code: error.code, message: errorTable[error.reason].message, data: error.reason };
  }
  ctx.log.error({ method, err: error }, 'unexpected error');
  return { code: -32603, message: errorTable.internal_error.message, data: 'internal_error' };
}

function withNullIdsAs(calls: unknown, token: string): unknown {
  const replace = (call: unknown) => (call !== null && typeof call === 'object' && 'id' in call && call.id === null ? { ...call, id: token } : call);
  return Array.isArray(calls) ? calls.map(replace) : replace(calls);
}

function restoreNullIds(response: unknown, token: string): unknown {
  const restore = (reply: unknown) => (reply !== null && typeof reply === 'object' && 'id' in reply && reply.id === token ? { ...reply, id: null } : reply);
  return Array.isArray(response) ? response.map(restore) : restore(response);
}

function errorResponse(id: null, code: number, message: string, data = protocolReasons[code]) {
  return { jsonrpc: '2.0', id, error: { code, message, data } };
}

/** JSON replacer that gives jayson's own errors (invalid request, unknown method) a reason string. */
function addProtocolReason(this: unknown, key: string, value: unknown): unknown {
  if (key === 'error' && value !== null && typeof value === 'object' && !('data' in value)) {
    const code = (value as { code?: unknown }).code;
    if (typeof code === 'number' && protocolReasons[code] !== undefined) return { ...value, data: protocolReasons[code] };
  }
  return value;
}
