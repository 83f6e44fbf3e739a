import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { describeForBackends, type TestBackend } from '../support/backends.js';
import { register, signIn } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';

const openEnv = { RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_USER_PER_MINUTE: '0' };

describeForBackends('tracing: a span per JSON-RPC call, children for store calls and verification', (backend: TestBackend) => {
  let harness: Harness;
  let scopeId: string;
  const exporter = new InMemorySpanExporter();

  beforeAll(async () => {
    harness = await startGateway(backend, openEnv, { spanProcessor: new SimpleSpanProcessor(exporter) });
    scopeId = (await harness.createScope()).scope_id;
  });
  afterAll(() => harness.close());
  beforeEach(() => exporter.reset());

  const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan) => spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);

  it('should trace a registration as two call spans whose children are its store calls and its verification', async () => {
    const client = new RpcClient(harness.url, scopeId, harness.publicKey, TEST_ORIGIN);
    const username = `traced-${randomUUID().slice(0, 8)}`;
    await register(client, new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' }), username);

    const spans = exporter.getFinishedSpans();
    const roots = spans.filter((span) => span.parentSpanContext === undefined);
    expect(roots.map((span) => span.name)).toEqual(['initiateRegistration', 'completeRegistration']);
    for (const root of roots) {
      expect(root.kind).toBe(SpanKind.SERVER);
      expect(root.attributes).toEqual({ 'rpc.system': 'jsonrpc', 'rpc.method': root.name, 'pkgw.scope_id': scopeId, 'pkgw.outcome': 'ok' });
      expect(root.status.code).not.toBe(SpanStatusCode.ERROR);
    }
    const [initiate, complete] = roots as [ReadableSpan, ReadableSpan];
    expect(childrenOf(spans, initiate).map((span) => span.name)).toEqual(expect.arrayContaining(['store accounts.findAccountByUsername', 'store challenges.put']));
    const completeChildren = childrenOf(spans, complete).map((span) => span.name);
    expect(completeChildren).toEqual(expect.arrayContaining(['store challenges.consume', 'verify registration', 'store accounts.createAccountWithCredential']));
    // Every span belongs to one of the two calls' traces.
    const traces = new Set(roots.map((root) => root.spanContext().traceId));
    expect(spans.every((span) => traces.has(span.spanContext().traceId))).toBe(true);

    // Never usernames, keys, headers or payloads: only names, the scope id and outcomes.
    const recorded = JSON.stringify(spans.map((span) => [span.name, span.attributes, span.events, span.status]));
    for (const secret of [username, client.encryptedKey, client.aesKey.toString('base64')]) expect(recorded).not.toContain(secret);
  });

  it('should trace a sign-in with its assertion verification, and a refused call with its reason', async () => {
    const client = new RpcClient(harness.url, scopeId, harness.publicKey, TEST_ORIGIN);
    const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
    const username = `traced-${randomUUID().slice(0, 8)}`;
    await register(client, authenticator, username);
    exporter.reset();
    await signIn(client, authenticator, username);
    const spans = exporter.getFinishedSpans();
    const complete = spans.find((span) => span.name === 'completeAuthentication');
    expect(childrenOf(spans, complete!).map((span) => span.name)).toEqual(expect.arrayContaining(['verify assertion']));

    exporter.reset();
    const reply = await client.call('completeAuthentication', { challenge_id: 'not-a-uuid', encrypted_assertion: client.seal({}), encrypted_user: client.seal(null) });
    expect(reply.error?.data).toBe('invalid_params');
    const [refused] = exporter.getFinishedSpans();
    expect(refused?.attributes['pkgw.outcome']).toBe('invalid_params');
    expect(refused?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'invalid_params' });
  });

  it('should leave the scope id out of a call whose X-Scope-Id is not a UUID', async () => {
    const client = new RpcClient(harness.url, 'not a scope <script>', harness.publicKey, TEST_ORIGIN);
    const reply = await client.call('initiateAuthentication', { encrypted_user: client.seal({ username: '' }) });
    expect(reply.error?.data).toBe('scope_required');
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes).toEqual({ 'rpc.system': 'jsonrpc', 'rpc.method': 'initiateAuthentication', 'pkgw.outcome': 'scope_required' });
  });
});

describe('tracing: OTLP/HTTP export to the endpoint of the standard variables', () => {
  let receiver: Server;
  const received: Array<{ path: string; body: string }> = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('should export the spans of its calls as OTLP JSON to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces, by OTEL_SERVICE_NAME', async () => {
    const { port } = receiver.address() as AddressInfo;
    const harness = await startGateway('embedded', { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'gateway-under-test' });
    try {
      const response = await fetch(harness.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getEncryptionKey' }) });
      expect(response.status).toBe(200);
    } finally {
      // Closing flushes what the batch processor holds.
      await harness.close();
    }
    expect(received.map((request) => request.path)).toContain('/v1/traces');
    const body = received.map((request) => request.body).join('\n');
    expect(body).toContain('"gateway-under-test"');
    expect(body).toContain('"getEncryptionKey"');
  });

  it('should send nothing when no endpoint is set', async () => {
    received.length = 0;
    const harness = await startGateway('embedded');
    await fetch(harness.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getEncryptionKey' }) });
    await harness.close();
    expect(received).toEqual([]);
  });
});
