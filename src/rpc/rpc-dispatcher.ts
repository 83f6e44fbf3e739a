import { randomUUID } from 'node:crypto';
import jayson from 'jayson/promise/index.js';
import { isGatewayError, reasonOfCode, rpcError, type RpcReason } from '../errors/gateway-error.js';
import { limits } from '../domain/limits.js';
import type { CallPipeline } from './call-pipeline.js';
import type { CallTracing } from '../tracing/call-tracing.js';
import type { CallContext, RpcMethod } from './rpc-method.js';

export interface JsonRpcError {
  code: number;
  message: string;
  data: RpcReason;
}

export interface RpcDispatcher {
  /** Handles one HTTP body; resolves to the JSON text to send, or null when nothing is owed (notifications). */
  handle(body: string, ctx: CallContext): Promise<string | null>;
}

interface DispatchDeps {
  methods: RpcMethod[];
  pipeline: CallPipeline;
  /** Told each call's method, outcome ('ok' or the error reason) and duration, for metrics. */
  onCall?: (method: string, outcome: string, seconds: number) => void;
  /** Runs each call as a span (tracing on); absent, calls run as they are. */
  tracing?: Pick<CallTracing, 'call'>;
}

/** JSON-RPC 2.0 over jayson: each call goes through the pipeline; every error answers with a reason from the table. */
export function createRpcDispatcher(deps: DispatchDeps): RpcDispatcher {
  // Routed by our own table rather than registered with jayson, which refuses names under `rpc.`
  // (JSON-RPC reserves them for extensions such as OpenRPC's rpc.discover, which we answer).
  const routes = new Map<string, jayson.Method>();
  for (const method of deps.methods) {
    const handler = async (rawParams: unknown, ctx: CallContext): Promise<unknown> => {
      const started = performance.now();
      const { tracing } = deps;
      try {
        const result = await (tracing === undefined
          ? deps.pipeline.invoke(method, rawParams, ctx)
          : tracing.call(method.name, scopeIdOf(ctx), () => deps.pipeline.invoke(method, rawParams, ctx), outcomeOf));
        deps.onCall?.(method.name, 'ok', (performance.now() - started) / 1000);
        return result;
      } catch (error) {
        const rpcError = toJsonRpcError(error, ctx, method.name);
        deps.onCall?.(method.name, rpcError.data, (performance.now() - started) / 1000);
        // jayson answers a call with the JSON-RPC error object its handler throws.
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a JSON-RPC error object, not an Error, is what jayson takes
        throw rpcError;
      }
    };
    routes.set(method.name, new jayson.Method(handler as unknown as jayson.MethodHandlerContext, { useContext: true }));
  }
  const server = new jayson.Server({}, { useContext: true, version: 2, router: (name: string) => routes.get(name) as jayson.Method });

  return {
    async handle(body, ctx) {
      let request: unknown;
      try {
        request = JSON.parse(body);
      } catch {
        return JSON.stringify(errorResponse('parse_error'));
      }
      // jayson would re-parse a JSON string as a request body; anything but an object or array is invalid.
      if (request === null || typeof request !== 'object') {
        return JSON.stringify(errorResponse('invalid_request'));
      }
      if (Array.isArray(request) && request.length > limits.batchLength) {
        return JSON.stringify(errorResponse('batch_too_large'));
      }
      // jayson never answers a batch whose first entry is an array (the request hangs) and drops array
      // entries elsewhere, so batch entries that are not objects get their Invalid request here.
      let calls: unknown = request;
      let malformed: ReturnType<typeof errorResponse>[] = [];
      if (Array.isArray(request) && request.length > 0) {
        const isCall = (entry: unknown) => entry !== null && typeof entry === 'object' && !Array.isArray(entry);
        malformed = request.filter((entry) => !isCall(entry)).map(() => errorResponse('invalid_request'));
        calls = request.filter(isCall);
        if (malformed.length === request.length) return JSON.stringify(malformed);
      }
      // jayson takes `"id": null` for a notification and answers nothing, where JSON-RPC 2.0 owes that
      // call a reply with `"id": null`: such ids pass through jayson as a one-off token and come back null.
      const nullId = hasNullId(calls) ? `null-id:${randomUUID()}` : undefined;
      // jayson hands a single error response as the callback's first argument, a success as the second.
      const answered = await new Promise<unknown>((resolve) => {
        server.call((nullId === undefined ? calls : withNullIdsAs(calls, nullId)) as jayson.JSONRPCRequestLike, ctx, (errorResponse: unknown, success: unknown) =>
          resolve(errorResponse ?? success),
        );
      });
      const response = nullId === undefined ? answered : restoreNullIds(answered, nullId);
      if (malformed.length > 0) return JSON.stringify([...(Array.isArray(response) ? (response as unknown[]) : []), ...malformed], addProtocolReason);
      if (response === undefined || response === null || (Array.isArray(response) && response.length === 0)) return null;
      // A replacer runs for every value of the reply: only replies holding an error need it.
      return JSON.stringify(response, hasError(response) ? addProtocolReason : undefined);
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The call's scope id for its span: only when it is a UUID, so a span never carries arbitrary header text. */
function scopeIdOf(ctx: CallContext): string | undefined {
  const scopeId = ctx.headers['x-scope-id']?.trim();
  return scopeId !== undefined && UUID.test(scopeId) ? scopeId.toLowerCase() : undefined;
}

/** 'ok' or the reason from the table (internal_error for anything else), as the reply will say. */
function outcomeOf(result: { ok: true } | { ok: false; error: unknown }): string {
  if (result.ok) return 'ok';
  return isGatewayError(result.error) ? result.error.reason : 'internal_error';
}

function toJsonRpcError(error: unknown, ctx: CallContext, method: string): JsonRpcError {
  if (isGatewayError(error)) {
    const level = error.reason === 'internal_error' || error.reason === 'service_unavailable' ? 'error' : 'info';
    ctx.log[level]({ requestId: ctx.requestId, method, reason: error.reason, detail: error.detail, err: error.cause }, 'call refused');
    return rpcError(error.reason);
  }
  ctx.log.error({ requestId: ctx.requestId, method, err: error }, 'unexpected error');
  return rpcError('internal_error');
}

const hasNullIdEntry = (call: unknown) => call !== null && typeof call === 'object' && 'id' in call && call.id === null;

function hasNullId(calls: unknown): boolean {
  return Array.isArray(calls) ? calls.some(hasNullIdEntry) : hasNullIdEntry(calls);
}

const isErrorReply = (reply: unknown) => reply !== null && typeof reply === 'object' && 'error' in reply;

function hasError(response: unknown): boolean {
  return Array.isArray(response) ? response.some(isErrorReply) : isErrorReply(response);
}

function withNullIdsAs(calls: unknown, token: string): unknown {
  const replace = (call: unknown) => (hasNullIdEntry(call) ? { ...(call as object), id: token } : call);
  return Array.isArray(calls) ? calls.map(replace) : replace(calls);
}

function restoreNullIds(response: unknown, token: string): unknown {
  const restore = (reply: unknown) => (reply !== null && typeof reply === 'object' && 'id' in reply && reply.id === token ? { ...reply, id: null } : reply);
  return Array.isArray(response) ? response.map(restore) : restore(response);
}

function errorResponse(reason: RpcReason) {
  return { jsonrpc: '2.0', id: null, error: rpcError(reason) };
}

/** JSON replacer that gives jayson's own errors (invalid request, unknown method) their reason and the table's message. */
function addProtocolReason(this: unknown, key: string, value: unknown): unknown {
  if (key === 'error' && value !== null && typeof value === 'object' && !('data' in value)) {
    const code = (value as { code?: unknown }).code;
    const reason = typeof code === 'number' ? reasonOfCode(code) : undefined;
    if (reason !== undefined) return rpcError(reason);
  }
  return value;
}
