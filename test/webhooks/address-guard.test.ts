import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addressClassifier } from '../../src/webhooks/address-guard.js';
import { sendWebhook, type SendOptions } from '../../src/webhooks/webhook-sender.js';
import { webhookUrlProblem } from '../../src/webhooks/webhook-url.js';
import { nextAttemptAt } from '../../src/webhooks/retry-schedule.js';

const classify = addressClassifier();

describe('the webhook address guard', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['169.254.169.254', 'refused'],
    ['fd00:ec2::254', 'refused'],
    ['::ffff:169.254.169.254', 'refused'],
    ['::ffff:a9fe:a9fe', 'refused'],
    ['64:ff9b::169.254.169.254', 'refused'],
    ['::169.254.169.254', 'refused'],
    ['0.0.0.0', 'refused'],
    ['::', 'refused'],
    ['10.0.0.1', 'refused'],
    ['172.31.255.255', 'refused'],
    ['192.168.1.1', 'refused'],
    ['100.64.0.1', 'refused'],
    ['fe80::1', 'refused'],
    ['fe80::1%eth0', 'refused'],
    ['fc00::1', 'refused'],
    ['ff02::1', 'refused'],
    ['224.0.0.1', 'refused'],
    ['255.255.255.255', 'refused'],
    ['2002:a9fe:a9fe::1', 'refused'],
    ['not-an-ip', 'refused'],
  ])('should class %s as %s', (address, kind) => {
    expect(classify(address)).toBe(kind);
  });

  it('should take https:// to public hosts, and http:// only to loopback when allowed', () => {
    const problem = (url: string, allowLoopback = false) => webhookUrlProblem(url, { allowLoopback, classify });
    expect(problem('https://hooks.example.com/passkeys')).toBeNull();
    expect(problem('https://8.8.8.8/hook')).toBeNull();
    expect(problem('http://hooks.example.com/passkeys', true)).not.toBeNull();
    expect(problem('http://127.0.0.1:8080/hook', true)).toBeNull();
    expect(problem('http://localhost:8080/hook', true)).toBeNull();
    expect(problem('http://127.0.0.1:8080/hook')).not.toBeNull();
    expect(problem('https://example.com/#fragment')).not.toBeNull();
  });

  it('should back off exponentially with jitter, capped, and give up after the retry window', () => {
    const schedule = { baseDelayMs: 1000, maxDelayMs: 8000, retryForMs: 86_400_000 };
    const delays = [1, 2, 3, 4, 5, 6].map((attempts) => [nextAttemptAt(schedule, attempts, 0, 0, () => 0)!, nextAttemptAt(schedule, attempts, 0, 0, () => 0.999_999)!]);
    expect(delays.map(([low]) => low)).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect(delays.map(([, high]) => Math.round(high!))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(nextAttemptAt(schedule, 30, 0, 86_399_999)).not.toBeNull();
    expect(nextAttemptAt(schedule, 30, 0, 86_400_000)).toBeNull();
  });
});

describe('sending a webhook', () => {
  let server: Server;
  let port: number;
  let hits: string[];
  let handler: (path: string, res: import('node:http').ServerResponse) => void;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      handler(req.url ?? '', res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  beforeEach(() => {
    hits = [];
    handler = (_, res) => void res.writeHead(200).end('ok');
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const send = (url: string, options: Partial<SendOptions> = {}) =>
    sendWebhook({ url, body: '{}', headers: {}, timeoutMs: 1000, allowLoopback: true, classify, ...options });

  it('should deliver to an allowed target and report a non-2xx answer as a failure', async () => {
    expect(await send(`http://127.0.0.1:${port}/ok`)).toEqual({ ok: true, status: 200 });
    handler = (_, res) => void res.writeHead(500).end();
    expect(await send(`http://127.0.0.1:${port}/fail`)).toEqual({ ok: false, error: 'status 500' });
  });

  it('should check the address a name resolves to when connecting (a name passing the URL check still cannot reach loopback)', async () => {
    // localhost resolves to loopback: refused at connect time when loopback is not allowed.
    expect(await send(`http://localhost:${port}/name`, { allowLoopback: false })).toEqual({ ok: false, error: 'address_refused' });
    expect(await send(`http://127.0.0.1:${port}/literal`, { allowLoopback: false })).toEqual({ ok: false, error: 'address_refused' });
    expect(await send(`https://169.254.169.254/latest/meta-data`)).toEqual({ ok: false, error: 'address_refused' });
    expect(hits).toEqual([]);
    // With loopback allowed (development), the same name is delivered to.
    expect(await send(`http://localhost:${port}/allowed`)).toEqual({ ok: true, status: 200 });
  });

  it('should not follow redirects', async () => {
    handler = (path, res) => void (path === '/redirect' ? res.writeHead(302, { location: `http://127.0.0.1:${port}/target` }).end() : res.writeHead(200).end());
    expect(await send(`http://127.0.0.1:${port}/redirect`)).toEqual({ ok: false, error: 'status 302' });
    expect(hits).toEqual(['/redirect']);
  });

  it('should give up on a receiver that does not answer within the timeout', async () => {
    handler = () => undefined;
    const started = Date.now();
    expect(await send(`http://127.0.0.1:${port}/hang`, { timeoutMs: 200 })).toEqual({ ok: false, error: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('should read a bounded part of the answer: an endless body ends the exchange, not the gateway', async () => {
    let written = 0;
    handler = (_, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 'a');
      const pump = () => {
        while (!res.destroyed && written < 50 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
        if (!res.destroyed && written < 50 * 1024 * 1024) res.once('drain', pump);
      };
      pump();
    };
    const result = await send(`http://127.0.0.1:${port}/endless`, { timeoutMs: 5000 });
    expect(result).toEqual({ ok: true, status: 200 });
    expect(written).toBeLessThan(10 * 1024 * 1024);
  });

  it('should stop when aborted', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect(await send(`http://127.0.0.1:${port}/abort`, { signal: controller.signal, timeoutMs: 5000 })).toEqual({ ok: false, error: 'aborted' });
  });
});
