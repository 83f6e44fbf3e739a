import type { AddressInfo } from 'node:net';
import { describeForBackends } from '../support/backends.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';

describeForBackends('finding 11: /metrics is served on its own listener, on loopback by default', (backend) => {
  let harness: Harness;
  let metricsUrl: string;
  beforeAll(async () => {
    // The harness sets METRICS_PORT=0 and leaves METRICS_HOST to its default.
    harness = await startGateway(backend);
    metricsUrl = harness.gateway.metricsUrl ?? '';
  });
  afterAll(() => harness.close());

  it('should answer 404 for /metrics on the public listener, where /healthz and /readyz still answer', async () => {
    expect((await fetch(new URL('/metrics', harness.url))).status).toBe(404);
    expect((await fetch(new URL('/metrics', harness.url), { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(new URL('/healthz', harness.url))).status).toBe(200);
    expect((await fetch(new URL('/readyz', harness.url))).status).toBe(200);
  });

  it('should serve the Prometheus text at the metrics URL, on a loopback address', async () => {
    expect(new URL(metricsUrl).pathname).toBe('/metrics');
    expect(new URL(metricsUrl).port).not.toBe(new URL(harness.url).port);
    expect((harness.gateway.metricsServer.address() as AddressInfo).address).toBe('127.0.0.1');
    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('# TYPE pkgw_rpc_requests_total counter');
    expect(text).toContain('pkgw_process_resident_memory_bytes');
    const head = await fetch(metricsUrl, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('should answer 404 on the metrics listener for anything but GET or HEAD /metrics', async () => {
    for (const path of ['/', '/healthz', '/readyz', '/.well-known/jwks.json', '/demo', '/metrics/', '/metricsx']) {
      expect([path, (await fetch(new URL(path, metricsUrl))).status]).toEqual([path, 404]);
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      expect([method, (await fetch(metricsUrl, { method })).status]).toEqual([method, 404]);
    }
    const rpc = await fetch(new URL('/', metricsUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getEncryptionKey' }),
    });
    expect(rpc.status).toBe(404);
  });
});
