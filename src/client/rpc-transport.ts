import { GatewayClientError } from './gateway-client-error.js';

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{ status: number; json(): Promise<unknown> }>;

/** JSON-RPC 2.0 over one POST URL; a JSON-RPC error becomes a GatewayClientError carrying `error.data`. */
export class RpcTransport {
  private nextId = 1;

  constructor(
    private readonly url: string,
    private readonly fetchImpl: FetchLike,
  ) {}

  async call(method: string, params: unknown, headers: Record<string, string>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    let status: number;
    let reply: unknown;
    try {
      const response = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
      });
      status = response.status;
      reply = status === 200 ? await response.json() : undefined;
    } catch (cause) {
      throw new GatewayClientError('network_error', `${method}: the gateway could not be reached`, { method, cause });
    }
    if (status !== 200) throw new GatewayClientError('network_error', `${method}: HTTP ${status}`, { method });
    if (!isRecord(reply) || reply.id !== id) throw new GatewayClientError('unexpected_reply', `${method}: not a JSON-RPC reply to this call`, { method });

    if (isRecord(reply.error)) {
      const { code, message, data } = reply.error;
      const reason = typeof data === 'string' && data !== '' ? data : 'internal_error';
      throw new GatewayClientError(reason, typeof message === 'string' ? message : reason, { method, ...(typeof code === 'number' ? { code } : {}) });
    }
    if (!isRecord(reply.result)) throw new GatewayClientError('unexpected_reply', `${method}: reply has no result`, { method });
    return reply.result;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
