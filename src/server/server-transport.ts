import { GatewayServerError } from './gateway-server-error.js';

/** The part of fetch the helper uses (the global fetch, or a test's). */
export type ServerFetch = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string; signal?: AbortSignal }) => Promise<{ status: number; json(): Promise<unknown> }>;

/**
 * JSON-RPC 2.0 over the gateway's one POST URL, server to server: a bearer credential (API key or
 * admin token) instead of envelopes. A JSON-RPC error becomes a GatewayServerError carrying the
 * gateway's `error.data` reason. The credential never appears in an error.
 */
export class ServerTransport {
  private nextId = 1;

  constructor(
    private readonly url: string,
    private readonly fetchImpl: ServerFetch,
    private readonly timeoutMs: number,
  ) {}

  async call(method: string, params: Record<string, unknown>, bearer: string | undefined): Promise<unknown> {
    const id = this.nextId++;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    let response: Awaited<ReturnType<ServerFetch>>;
    try {
      response = await this.fetchImpl(this.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw new GatewayServerError('network_error', `${method}: the gateway could not be reached`, { method, cause });
    }
    const { status } = response;
    if (status !== 200) throw new GatewayServerError('network_error', `${method}: HTTP ${status}`, { method, status });
    let reply: unknown;
    try {
      reply = await response.json();
    } catch (cause) {
      throw new GatewayServerError('unexpected_reply', `${method}: the reply is not JSON`, { method, cause });
    }
    if (!isRecord(reply) || reply.id !== id || reply.jsonrpc !== '2.0') {
      throw new GatewayServerError('unexpected_reply', `${method}: not a JSON-RPC reply to this call`, { method });
    }
    if (isRecord(reply.error)) {
      const { code, message, data } = reply.error;
      const reason = typeof data === 'string' && data !== '' ? data : 'internal_error';
      throw new GatewayServerError(reason, `${method}: ${typeof message === 'string' ? message : reason}`, { method, ...(typeof code === 'number' ? { code } : {}) });
    }
    if (!('result' in reply)) throw new GatewayServerError('unexpected_reply', `${method}: reply has no result`, { method });
    return reply.result;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
