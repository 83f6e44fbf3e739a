import { startGateway, type Harness } from '../support/gateway-harness.js';

/** Found by the soak: jayson never answered a batch starting with an array, and dropped array entries. */
describe('batches with entries that are not calls', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startGateway('embedded');
  });
  afterAll(() => harness.close());

  const post = async (body: unknown) => {
    const response = await fetch(harness.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(200);
    return (await response.json()) as { id: unknown; error?: { code: number; data: string }; result?: unknown }[];
  };
  const invalid = { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid request', data: 'invalid_request' } };

  it.each([[[[1]]], [[[]]], [[[null, 2], {}]], [[1, [2]]], [['a', null, []]]])('should answer %j with one Invalid request per entry', async (batch) => {
    const replies = await post(batch);
    expect(replies).toHaveLength(batch.length);
    for (const reply of replies) expect(reply).toEqual(invalid);
  });

  it('should still answer the real calls of a batch that also holds arrays', async () => {
    const replies = await post([[1], { jsonrpc: '2.0', id: 7, method: 'getJwks' }, { jsonrpc: '2.0', method: 'getJwks' }]);
    expect(replies).toHaveLength(2);
    expect(replies).toContainEqual(invalid);
    expect(replies.find((reply) => reply.id === 7)?.result).toMatchObject({ keys: [{ kty: 'EC', alg: 'ES256' }] });
  });
});
