import { readFileSync } from 'node:fs';
import { startGateway, type Harness } from '../support/gateway-harness.js';

const root = new URL('../../', import.meta.url);

describe('rpc.discover (OpenRPC service discovery)', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startGateway('embedded');
  });
  afterAll(() => harness.close());

  const rpc = async (body: unknown) => {
    const response = await fetch(harness.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    return (await response.json());
  };

  it('should answer with the OpenRPC document, the same as rpc-schema/openrpc.json, without scope or envelope', async () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('rpc-schema/openrpc.json', root), 'utf8'));
    expect(await rpc({ jsonrpc: '2.0', id: 1, method: 'rpc.discover' })).toEqual({ jsonrpc: '2.0', id: 1, result: committed });
  });

  it('should answer it inside a batch too, and other rpc. names as method_not_found', async () => {
    const replies = (await rpc([
      { jsonrpc: '2.0', id: 1, method: 'rpc.discover', params: [] },
      { jsonrpc: '2.0', id: 2, method: 'rpc.other' },
    ])) as Array<{ id: number; result?: { openrpc?: string }; error?: { data?: string } }>;
    const byId = new Map(replies.map((reply) => [reply.id, reply]));
    expect(byId.get(1)?.result?.openrpc).toBe('1.3.2');
    expect(byId.get(2)?.error).toEqual({ code: -32601, message: 'Method not found', data: 'method_not_found' });
  });

  it('should refuse params it does not take as invalid_params', async () => {
    expect(await rpc({ jsonrpc: '2.0', id: 3, method: 'rpc.discover', params: { verbose: true } })).toEqual({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32602, message: 'Invalid params', data: 'invalid_params' },
    });
  });
});
