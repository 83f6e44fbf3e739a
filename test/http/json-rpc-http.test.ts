import { randomUUID } from 'node:crypto';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import { match } from '../support/match.js';

describe('HTTP edge and JSON-RPC 2.0', () => {
  let harness: Harness;
  let scopeId: string;

  beforeAll(async () => {
    harness = await startGateway('embedded', { ALLOWED_ORIGINS: 'http://localhost:5173' });
    scopeId = (await harness.createScope({ origins: [TEST_ORIGIN] })).scope_id;
  });
  afterAll(() => harness.close());

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(harness.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const rpc = async (body: unknown) => {
    const response = await post(JSON.stringify(body));
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown> | Record<string, unknown>[];
  };

  it('should answer GET /healthz with 200', async () => {
    const response = await fetch(`${harness.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('should publish the encryption key without scope or envelope', async () => {
    const reply = await rpc({ jsonrpc: '2.0', id: 1, method: 'getEncryptionKey' });
    expect(reply).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { public_key: harness.publicKey, algorithm: 'RSA-OAEP-256', key_id: match.any(String) },
    });
    expect(Buffer.from(harness.publicKey, 'base64').subarray(0, 2).toString('hex')).toBe('3082'); // DER SEQUENCE
  });

  it('should answer a parse error with -32700 and id null, at HTTP 200', async () => {
    const response = await post('{"jsonrpc": "2.0", "method"');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error', data: 'parse_error' } });
  });

  it('should answer an invalid request with -32600', async () => {
    for (const body of [{ id: 1, method: 'getEncryptionKey' }, { jsonrpc: '2.0', id: 1, method: 42 }, 'text', 7, []]) {
      const reply = (await rpc(body)) as Record<string, unknown>;
      expect(reply.error).toMatchObject({ code: -32600, data: 'invalid_request' });
    }
  });

  it('should answer an unknown method with -32601, including inherited property names', async () => {
    for (const method of ['noSuchMethod', 'toString', '__proto__', 'constructor']) {
      expect(await rpc({ jsonrpc: '2.0', id: 'a', method })).toEqual({
        jsonrpc: '2.0',
        id: 'a',
        error: { code: -32601, message: 'Method not found', data: 'method_not_found' },
      });
    }
  });

  it('should answer batches call by call, leaving out notifications', async () => {
    const reply = await rpc([
      { jsonrpc: '2.0', id: 1, method: 'getEncryptionKey' },
      { jsonrpc: '2.0', method: 'getEncryptionKey' },
      { jsonrpc: '2.0', id: 2, method: 'nope' },
      { nonsense: true },
    ]);
    expect(Array.isArray(reply)).toBe(true);
    const list = reply as Record<string, unknown>[];
    expect(list).toHaveLength(3);
    expect(list.find((item) => item.id === 1)?.result).toBeDefined();
    expect(list.find((item) => item.id === 2)?.error).toMatchObject({ code: -32601 });
    expect(list.find((item) => item.id === null)?.error).toMatchObject({ code: -32600 });
  });

  it('should answer a call whose id is null (not a notification: that has no id at all), alone and in a batch', async () => {
    expect(await rpc({ jsonrpc: '2.0', id: null, method: 'getEncryptionKey' })).toMatchObject({ jsonrpc: '2.0', id: null, result: { algorithm: 'RSA-OAEP-256' } });
    expect(await rpc({ jsonrpc: '2.0', id: null, method: 'nope' })).toMatchObject({ id: null, error: { code: -32601 } });
    const batch = (await rpc([
      { jsonrpc: '2.0', id: null, method: 'getEncryptionKey' },
      { jsonrpc: '2.0', method: 'getEncryptionKey' },
      { jsonrpc: '2.0', id: 'pkgw-null-id', method: 'getEncryptionKey' },
    ])) as Record<string, unknown>[];
    expect(batch.map((item) => item.id).sort()).toEqual([null, 'pkgw-null-id'].sort());
    expect(batch.every((item) => item.result !== undefined)).toBe(true);
  });

  it('should refuse a batch of more than 20 calls', async () => {
    const batch = Array.from({ length: 21 }, (_, id) => ({ jsonrpc: '2.0', id, method: 'getEncryptionKey' }));
    expect(await rpc(batch)).toMatchObject({ error: { code: -32600, data: 'batch_too_large' } });
  });

  it('should answer a notification (and a batch of only notifications) with 204 and no body', async () => {
    const single = await post(JSON.stringify({ jsonrpc: '2.0', method: 'getEncryptionKey' }));
    expect(single.status).toBe(204);
    expect(await single.text()).toBe('');
    const batch = await post(JSON.stringify([{ jsonrpc: '2.0', method: 'getEncryptionKey' }]));
    expect(batch.status).toBe(204);
  });

  it('should answer invalid params with -32602 and a reason', async () => {
    const reply = await rpc({ jsonrpc: '2.0', id: 1, method: 'getEncryptionKey', params: { surprise: true } });
    expect(reply).toMatchObject({ error: { code: -32602, data: 'invalid_params' } });
  });

  it('should answer a body over 64 KiB with 413', async () => {
    const response = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getEncryptionKey', params: { pad: 'x'.repeat(65 * 1024) } }));
    expect(response.status).toBe(413);
  });

  it('should answer other methods on / with 405 and a body that is not JSON with 415', async () => {
    const get = await fetch(harness.url, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
    expect((await fetch(harness.url, { method: 'PUT', body: '{}' })).status).toBe(405);
    expect((await post('{}', { 'content-type': 'text/plain' })).status).toBe(415);
  });

  describe('CORS', () => {
    const preflight = (origin: string, headers = 'content-type, x-encrypted-key, x-encrypted-user, x-scope-id') =>
      fetch(harness.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers } });

    it('should answer a preflight from any scope origin with every header the SDK sends', async () => {
      const response = await preflight(TEST_ORIGIN, 'content-type, x-encrypted-key, x-encrypted-user, x-scope-id, x-encrypted-session');
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(TEST_ORIGIN);
      const allowed = (response.headers.get('access-control-allow-headers') ?? '').split(',').map((h) => h.trim());
      expect(allowed).toEqual(expect.arrayContaining(['content-type', 'x-scope-id', 'x-encrypted-key', 'x-encrypted-user', 'x-encrypted-session']));
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    });

    it('should answer a preflight from an ALLOWED_ORIGINS origin', async () => {
      expect((await preflight('http://localhost:5173')).headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    });

    it('should not allow an origin no scope lists', async () => {
      const response = await preflight('https://evil.example');
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('should honour a scope created after start within a second', async () => {
      const origin = `https://app-${randomUUID().slice(0, 8)}.example`;
      await harness.createScope({ origins: [origin] }, { refresh: false });
      const started = Date.now();
      let allowed: string | null = null;
      while (allowed === null && Date.now() - started < 1500) {
        allowed = (await preflight(origin)).headers.get('access-control-allow-origin');
        if (allowed === null) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(allowed).toBe(origin);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('should check the real request against its own scope', async () => {
      const response = await fetch(harness.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://localhost:5173', 'x-scope-id': scopeId },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initiateRegistration', params: { encrypted_user: 'AAAA' } }),
      });
      expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(((await response.json()) as { error: { data: string } }).error.data).toBe('origin_not_allowed');
    });
  });
});
