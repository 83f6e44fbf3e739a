// Webhooks across process deaths and several processes: a gateway killed with SIGKILL after an
// event committed (before or while it was being sent) delivers it after a restart; two gateways
// sharing one PostgreSQL deliver each event once.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { deleteRedisPrefix, dropPostgresSchema, freePort } from '../../scripts/lib/local-services.js';
import type { NewAuditEvent } from '../../src/domain/audit-event.js';
import { adminCall } from '../admin/admin-rpc.js';
import { databaseUrl, describeForBackends, describeWithRedisAndPostgres, redisUrl } from '../support/backends.js';
import { buildGateway, spawnBuiltGateway, type BuiltGateway } from '../support/built-gateway.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { inOrderPerAccount, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const TOKEN = randomBytes(32).toString('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const delegatePublicKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

describeForBackends('webhooks of a gateway killed with SIGKILL', (backend) => {
  const run = randomUUID().replaceAll('-', '').slice(0, 16);
  let dataDir: string;
  let receiver: WebhookReceiver;
  let env: Record<string, string>;
  const started: BuiltGateway[] = [];

  beforeAll(() => {
    buildGateway();
  }, 180_000);
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pkgw-webhook-kill-'));
    writeFileSync(join(dataDir, 'admin-token'), TOKEN);
    receiver = await startWebhookReceiver();
    const schema = `pkgw_test_kill_${run}_${randomBytes(3).toString('hex')}`;
    env = {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ADMIN_TOKEN_FILE: join(dataDir, 'admin-token'),
      WEBHOOK_ALLOW_LOOPBACK: 'on',
      WEBHOOK_TIMEOUT_MS: '500',
      WEBHOOK_RETRY_BASE_MS: '50',
      WEBHOOK_RETRY_MAX_DELAY_MS: '200',
      ...(backend === 'redis+postgres' ? { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `pkgw-test:${run}:`, WORKERS: '1' } : {}),
    };
  });
  afterEach(async () => {
    for (const gateway of started.splice(0)) gateway.child.kill('SIGKILL');
    await receiver.close();
    if (env.DATABASE_SCHEMA !== undefined) await dropPostgresSchema(databaseUrl, env.DATABASE_SCHEMA);
    if (env.REDIS_KEY_PREFIX !== undefined) await deleteRedisPrefix(redisUrl, env.REDIS_KEY_PREFIX);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Starts the built gateway; resolves to its URL and development scope. */
  async function start(pollIntervalMs: number): Promise<{ gateway: BuiltGateway; url: string; scopeId: string }> {
    const port = await freePort();
    const gateway = spawnBuiltGateway({ ...env, PORT: String(port), WEBHOOK_POLL_INTERVAL_MS: String(pollIntervalMs) });
    started.push(gateway);
    await gateway.waitFor('accounts:');
    const scopeId = /development scope id: ([0-9a-f-]{36})/.exec(gateway.stdout())?.[1];
    return { gateway, url: `http://127.0.0.1:${port}`, scopeId: scopeId ?? '' };
  }
  async function kill(gateway: BuiltGateway) {
    gateway.child.kill('SIGKILL');
    await gateway.exited;
  }
  /** An endpoint, then an event written with the change it describes (a delegate key and its audit row); resolves once committed. */
  async function endpointAndEvent(url: string, scopeId: string): Promise<string> {
    const added = await adminCall<{ secret: string }>(url, 'addWebhook', { scope_id: scopeId, url: receiver.url, events: ['delegate_key_added'] }, TOKEN);
    expect(added.error).toBeUndefined();
    const key = await adminCall(url, 'addDelegateKey', { scope_id: scopeId, public_key: delegatePublicKey() }, TOKEN);
    expect(key.error).toBeUndefined();
    return added.result!.secret;
  }

  it('should deliver after a restart an event committed just before the kill', async () => {
    // The first process polls once at start and then not for a minute: the event waits in the outbox.
    const first = await start(60_000);
    expect(first.scopeId).not.toBe('');
    await sleep(300);
    const secret = await endpointAndEvent(first.url, first.scopeId);
    await kill(first.gateway);
    expect(receiver.arrivals).toBe(0);

    await start(50);
    await receiver.waitFor((r) => r.received.length >= 1);
    await sleep(300);
    expect(receiver.received.map((r) => r.type)).toEqual(['delegate_key_added']);
    expect(new Webhook(secret).verify(receiver.received[0]!.body, receiver.received[0]!.headers)).toMatchObject({ type: 'delegate_key_added' });
  }, 90_000);

  it('should deliver after a restart an event whose sending the kill cut short', async () => {
    receiver.mode = 'hang';
    const first = await start(50);
    await endpointAndEvent(first.url, first.scopeId);
    await receiver.waitFor((r) => r.arrivals >= 1, 15_000, 'the first attempt');
    await kill(first.gateway);
    receiver.mode = 'ok';

    // The dead process's claim ends with its lease (2 × WEBHOOK_TIMEOUT_MS + 1 s); then it is sent again.
    await start(50);
    await receiver.waitFor((r) => r.received.length >= 1, 20_000);
    await sleep(300);
    expect(receiver.received.map((r) => r.type)).toEqual(['delegate_key_added']);
  }, 90_000);
});

describeWithRedisAndPostgres('webhooks of two gateways sharing one PostgreSQL', () => {
  const run = randomUUID().replaceAll('-', '').slice(0, 16);
  const dataDir = mkdtempSync(join(tmpdir(), 'pkgw-webhook-two-'));
  const shared = {
    DATA_DIR: dataDir,
    REDIS_KEY_PREFIX: `pkgw-test:${run}:`,
    DATABASE_SCHEMA: `pkgw_test_two_${run}`,
    ADMIN_TOKEN_FILE: join(dataDir, 'admin-token'),
    WEBHOOK_ALLOW_LOOPBACK: 'on',
    WEBHOOK_POLL_INTERVAL_MS: '20',
    WEBHOOK_RETRY_BASE_MS: '50',
    WEBHOOK_RETRY_MAX_DELAY_MS: '200',
  };
  let a: Harness;
  let b: Harness;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    writeFileSync(shared.ADMIN_TOKEN_FILE, TOKEN);
    a = await startGateway('redis+postgres', shared);
    b = await startGateway('redis+postgres', shared);
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await Promise.allSettled([a?.close(), b?.close()]);
    await dropPostgresSchema(databaseUrl, shared.DATABASE_SCHEMA);
    await deleteRedisPrefix(redisUrl, shared.REDIS_KEY_PREFIX);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The gateway's count of attempts that delivered, from its metrics. */
  async function delivered(harness: Harness): Promise<number> {
    const text = await (await fetch(harness.gateway.metricsUrl!)).text();
    return Number(/pkgw_webhook_attempts_total\{outcome="delivered"\} (\d+)/.exec(text)?.[1] ?? 0);
  }

  it('should deliver each event once, each account\'s in order, whichever gateway sends it', async () => {
    const scopeId = (await a.createScope()).scope_id;
    const added = await adminCall<{ webhook_id: string }>(a.url, 'addWebhook', { scope_id: scopeId, url: receiver.url, events: ['account_disabled', 'account_enabled'] }, TOKEN);
    expect(added.error).toBeUndefined();
    // Slow answers, so both gateways' rounds overlap.
    receiver.delayMs = 15;
    const accounts = Array.from({ length: 8 }, () => randomUUID());
    const event = (accountId: string, i: number): NewAuditEvent => ({
      scope_id: scopeId, occurred_at: new Date().toISOString(), event: i % 2 === 0 ? 'account_disabled' : 'account_enabled',
      account_id: accountId, credential_id: null, reason: null, client_ip: null, request_id: `r-${i}`,
    });
    for (let i = 0; i < 8; i += 1) await Promise.all(accounts.map((accountId) => a.gateway.stores.auditLog.appendAuditEvent(event(accountId, i))));

    await receiver.waitFor((r) => r.unique().length >= 64, 30_000);
    await sleep(500);
    expect(receiver.received).toHaveLength(64);
    expect(receiver.unique()).toHaveLength(64);
    expect(inOrderPerAccount(receiver.received)).toBe(true);
    const [byA, byB] = [await delivered(a), await delivered(b)];
    expect(byA + byB).toBe(64);
  }, 60_000);
});
