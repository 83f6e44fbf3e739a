import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { deleteRedisPrefix, dropPostgresSchema } from '../../scripts/lib/local-services.js';
import { loadConfig } from '../../src/config/config.js';
import { runScopeCli } from '../../src/scopes/scope-cli.js';
import { openStores, type Stores } from '../../src/stores/open-stores.js';
import { adminCall } from '../admin/admin-rpc.js';
import { describeForBackends, type TestBackend } from '../support/backends.js';
import { completeAuthentication, initiateAuthentication, register, signIn } from '../support/ceremonies.js';
import { startGateway } from '../support/gateway-harness.js';
import { match } from '../support/match.js';
import { inOrderPerAccount, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const TOKEN = randomBytes(32).toString('base64url');
const platform = () => new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });
/** Delivery timing for tests: polled every 50 ms, retried after 50 to 200 ms. */
const FAST = { WEBHOOK_ALLOW_LOOPBACK: 'on', WEBHOOK_POLL_INTERVAL_MS: '50', WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_RETRY_MAX_DELAY_MS: '200', WEBHOOK_TIMEOUT_MS: '1000' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface AddedWebhook {
  webhook_id: string;
  secret: string;
  events: string[] | null;
  url: string;
}
interface ListedWebhook extends Omit<AddedWebhook, 'secret'> {
  backlog: { pending: number; failed: number };
}

/** A gateway with the admin methods on, and what the tests do with it. */
async function adminGateway(backend: TestBackend, env: Record<string, string>) {
  const tokenDir = mkdtempSync(join(tmpdir(), 'pkgw-webhooks-'));
  writeFileSync(join(tokenDir, 'token'), TOKEN);
  const harness = await startGateway(backend, { ADMIN_TOKEN_FILE: join(tokenDir, 'token'), ...env });
  const admin = <T>(method: string, params: unknown) => adminCall<T>(harness.url, method, params, TOKEN);
  return {
    harness,
    admin,
    async addWebhook(scopeId: string, url: string, events?: string[]): Promise<AddedWebhook> {
      const reply = await admin<AddedWebhook>('addWebhook', { scope_id: scopeId, url, ...(events ? { events } : {}) });
      if (reply.result === undefined) throw new Error(`addWebhook failed: ${reply.error?.data}`);
      return reply.result;
    },
    async backlog(scopeId: string, webhookId: string) {
      const reply = await admin<{ webhooks: ListedWebhook[] }>('listWebhooks', { scope_id: scopeId });
      return reply.result!.webhooks.find((w) => w.webhook_id === webhookId)!.backlog;
    },
    /** A registered account (one `registration` event). */
    async account(scopeId: string): Promise<string> {
      const client = new RpcClient(harness.url, scopeId, harness.publicKey);
      return (await register(client, platform(), `user-${randomUUID().slice(0, 8)}`)).account_id;
    },
    async setDisabled(scopeId: string, accountId: string, disabled: boolean) {
      const reply = await admin(disabled ? 'disableAccount' : 'enableAccount', { scope_id: scopeId, account_id: accountId });
      expect(reply.error).toBeUndefined();
    },
    async close() {
      await harness.close();
      rmSync(tokenDir, { recursive: true, force: true });
    },
    /** What close() removes, for a test that closed the gateway itself. */
    async cleanupAfterClose() {
      if (harness.env.DATABASE_SCHEMA !== undefined) await dropPostgresSchema(harness.env.DATABASE_URL!, harness.env.DATABASE_SCHEMA);
      if (harness.env.REDIS_KEY_PREFIX !== undefined) await deleteRedisPrefix(harness.env.REDIS_URL!, harness.env.REDIS_KEY_PREFIX);
      rmSync(harness.dataDir, { recursive: true, force: true });
      rmSync(tokenDir, { recursive: true, force: true });
    },
  };
}

describeForBackends('webhooks', (backend) => {
  let gw: Awaited<ReturnType<typeof adminGateway>>;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    gw = await adminGateway(backend, FAST);
  });
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(() => receiver.close());
  afterAll(() => gw?.close());

  it('should deliver the events each endpoint asked for, signed per Standard Webhooks, and nothing of other scopes', async () => {
    const scopeId = (await gw.harness.createScope()).scope_id;
    const other = (await gw.harness.createScope()).scope_id;
    const narrow = await startWebhookReceiver();
    try {
      const all = await gw.addWebhook(scopeId, receiver.url);
      expect(all).toMatchObject({ webhook_id: match.stringMatching(/^[0-9a-f-]{36}$/), secret: match.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/), events: null });
      const disabledOnly = await gw.addWebhook(scopeId, narrow.url, ['account_disabled']);
      expect(disabledOnly.secret).not.toBe(all.secret);

      const accountId = await gw.account(scopeId);
      await gw.account(other);
      await gw.setDisabled(scopeId, accountId, true);
      await receiver.waitFor((r) => r.received.length >= 4);
      await narrow.waitFor((r) => r.received.length >= 1);
      await sleep(200);

      // The endpoint is told of its own addition and of the next one (audited, with the endpoint's id), and of the
      // account's events: each in order (events of no account, and of different accounts, do not wait for each other).
      const ofScope = receiver.received.filter((r) => r.accountId === null);
      const ofAccount = receiver.received.filter((r) => r.accountId === accountId);
      expect(receiver.received).toHaveLength(4);
      expect(ofScope.map((r) => [r.type, (JSON.parse(r.body) as { data: { webhook_id: string } }).data.webhook_id])).toEqual([['webhook_added', all.webhook_id], ['webhook_added', disabledOnly.webhook_id]]);
      expect(ofAccount.map((r) => r.type)).toEqual(['registration', 'account_disabled']);
      expect(narrow.received.map((r) => r.type)).toEqual(['account_disabled']);
      for (const { headers, body } of ofAccount) {
        // The standardwebhooks package's own verify: headers, timestamp tolerance and v1 signature.
        const payload = new Webhook(all.secret).verify(body, headers) as { type: string; timestamp: string; data: Record<string, unknown> };
        expect(payload).toEqual({
          type: match.any(String),
          timestamp: match.any(String),
          data: {
            event_id: match.any(Number),
            scope_id: scopeId,
            occurred_at: payload.timestamp,
            event: payload.type,
            account_id: accountId,
            credential_id: payload.type === 'registration' ? match.any(String) : null,
            // Who disabled the account: the admin token, here.
            reason: payload.type === 'account_disabled' ? 'admin' : null,
            client_ip: match.any(String),
            request_id: match.any(String),
            chain_id: null,
            signed_digest: null,
            delegate_key_id: null,
            // The audit columns of server API keys (which key acted; a deleted account's identifier hash).
            api_key_id: null,
            identifier_hash: null,
            webhook_id: null,
          },
        });
        expect(headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
        expect(headers['content-type']).toBe('application/json');
        // Another endpoint's secret, or a changed body, does not verify.
        expect(() => new Webhook(disabledOnly.secret).verify(body, headers)).toThrow(WebhookVerificationError);
        expect(() => new Webhook(all.secret).verify(body.replace(scopeId, other), headers)).toThrow(WebhookVerificationError);
      }
      expect(new Webhook(disabledOnly.secret).verify(narrow.received[0]!.body, narrow.received[0]!.headers)).toMatchObject({ type: 'account_disabled' });

      // Listed without secrets, with nothing left to send.
      const listed = await gw.admin<{ webhooks: Array<Record<string, unknown>> }>('listWebhooks', { scope_id: scopeId });
      expect(listed.result!.webhooks).toEqual([
        { webhook_id: all.webhook_id, scope_id: scopeId, url: receiver.url, events: null, created_at: match.any(String), backlog: { pending: 0, failed: 0 } },
        { webhook_id: disabledOnly.webhook_id, scope_id: scopeId, url: narrow.url, events: ['account_disabled'], created_at: match.any(String), backlog: { pending: 0, failed: 0 } },
      ]);
      expect(JSON.stringify(listed)).not.toContain('whsec_');
    } finally {
      await narrow.close();
    }
  });

  it('should deliver every event once the receiver is back up, none twice, each account\'s in order', async () => {
    const scopeId = (await gw.harness.createScope()).scope_id;
    const hook = await gw.addWebhook(scopeId, receiver.url, ['registration', 'account_disabled', 'account_enabled']);
    // Failing first (503), then down altogether (connection refused).
    receiver.mode = 'error';
    const accounts = [await gw.account(scopeId), await gw.account(scopeId)];
    for (const disabled of [true, false, true, false]) for (const accountId of accounts) await gw.setDisabled(scopeId, accountId, disabled);
    await sleep(300);
    await receiver.down();
    await sleep(300);
    expect(receiver.received).toHaveLength(0);
    expect((await gw.backlog(scopeId, hook.webhook_id)).pending).toBe(10);

    receiver.mode = 'ok';
    await receiver.up();
    await receiver.waitFor((r) => r.unique().length >= 10);
    await sleep(300);
    expect(receiver.received).toHaveLength(10);
    expect(receiver.unique()).toHaveLength(10);
    expect(inOrderPerAccount(receiver.received)).toBe(true);
    // The failed attempts were retries of these very messages: the webhook-id never changes.
    const delivered = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    expect(receiver.arrivalIds.length).toBeGreaterThan(10);
    expect(receiver.arrivalIds.filter((id) => !delivered.has(id))).toEqual([]);
    for (const accountId of accounts) {
      expect(receiver.received.filter((r) => r.accountId === accountId).map((r) => r.type)).toEqual([
        'registration', 'account_disabled', 'account_enabled', 'account_disabled', 'account_enabled',
      ]);
    }
    expect(await gw.backlog(scopeId, hook.webhook_id)).toEqual({ pending: 0, failed: 0 });
  });

  it('should push a possibly cloned passkey (counter_regression) at once, with the account and passkey it concerns', async () => {
    const scopeId = (await gw.harness.createScope()).scope_id;
    const hook = await gw.addWebhook(scopeId, receiver.url, ['counter_regression']);
    const client = new RpcClient(gw.harness.url, scopeId, gw.harness.publicKey);
    const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', counterStep: 2 });
    const username = `cloned-${randomUUID().slice(0, 8)}`;
    const { account_id } = await register(client, authenticator, username);
    await signIn(client, authenticator, username);
    const reply = await completeAuthentication(client, await initiateAuthentication(client, username), authenticator, { counter: 1 });
    expect(reply.error?.data).toBe('counter_regression');
    await receiver.waitFor((r) => r.received.length >= 1);
    const payload = new Webhook(hook.secret).verify(receiver.received[0]!.body, receiver.received[0]!.headers);
    expect(payload).toMatchObject({ type: 'counter_regression', data: { account_id, credential_id: authenticator.credentials[0]!.id, scope_id: scopeId } });
  });

  it('should add, list and remove endpoints with npm run scope -- webhook, whose secret signs what is delivered', async () => {
    const scopeId = (await gw.harness.createScope()).scope_id;
    const env = { PATH: process.env.PATH, ...gw.harness.env };
    const added = await runScopeCli(['webhook', 'add', '--scope', scopeId, '--url', receiver.url, '--events', 'account_disabled,account_enabled'], env);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const { webhook_id, secret, events } = JSON.parse(added.stdout) as AddedWebhook;
    expect(secret).toMatch(/^whsec_/);
    expect(events).toEqual(['account_disabled', 'account_enabled']);

    const accountId = await gw.account(scopeId);
    await gw.setDisabled(scopeId, accountId, true);
    await receiver.waitFor((r) => r.received.length >= 1);
    expect(new Webhook(secret).verify(receiver.received[0]!.body, receiver.received[0]!.headers)).toMatchObject({ type: 'account_disabled' });

    const listed = await runScopeCli(['webhook', 'list', '--scope', scopeId], env);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ webhook_id, url: receiver.url })]);
    expect(listed.stdout).not.toContain('whsec_');
    expect(await runScopeCli(['webhook', 'remove', '--scope', scopeId, webhook_id], env)).toMatchObject({ code: 0 });
    expect(await runScopeCli(['webhook', 'remove', '--scope', scopeId, webhook_id], env)).toMatchObject({ code: 1 });
    expect(JSON.parse((await runScopeCli(['webhook', 'list', '--scope', scopeId], env)).stdout)).toEqual([]);
    // Both changes are in the audit log with the endpoint's id; the refused second removal is not.
    const log = await gw.admin<{ events: Array<{ event: string; reason: string | null; webhook_id: string | null }> }>('getAuditLog', { scope_id: scopeId });
    expect(log.result!.events.filter((e) => e.event.startsWith('webhook_')).map((e) => [e.event, e.reason, e.webhook_id])).toEqual([
      ['webhook_added', 'cli', webhook_id],
      ['webhook_removed', 'cli', webhook_id],
    ]);
    // Removed: later events go nowhere.
    await gw.setDisabled(scopeId, accountId, false);
    await sleep(300);
    expect(receiver.received).toHaveLength(1);

    expect((await runScopeCli(['webhook', 'add', '--scope', scopeId, '--url', receiver.url, '--events', 'no_such_event'], env)).code).toBe(2);
    expect((await runScopeCli(['webhook', 'add', '--scope', scopeId], env)).code).toBe(2);
    expect(await runScopeCli(['webhook', 'add', '--scope', scopeId, '--url', 'http://10.0.0.1/hook'], env)).toMatchObject({ code: 1, stderr: match.stringMatching(/^webhook_url_refused: url must not point at a private/) });
    expect(await runScopeCli(['webhook', 'add', '--scope', randomUUID(), '--url', receiver.url], env)).toMatchObject({ code: 1, stderr: match.stringMatching(/^scope_not_found/) });
  });

  it('should refuse what an operator must not be able to set up, each with its reason', async () => {
    const scopeId = (await gw.harness.createScope()).scope_id;
    const refused = async (params: Record<string, unknown>) => (await gw.admin('addWebhook', { scope_id: scopeId, ...params })).error?.data;
    // Not http:// except to loopback, no private, link-local, metadata or reserved address, no credentials in the URL.
    for (const url of [
      'http://example.com/hook',
      'https://10.1.2.3/hook',
      'https://192.168.0.10/hook',
      'https://172.16.0.1/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[fd00:ec2::254]/',
      'https://[::ffff:169.254.169.254]/',
      'https://[fe80::1]/',
      'https://0.0.0.0/',
      'https://[::]/',
      'https://user:pass@example.com/hook',
      'ftp://example.com/hook',
      'not a url',
    ]) {
      expect([url, await refused({ url })]).toEqual([url, 'webhook_url_refused']);
    }
    expect(await refused({ url: 'https://example.com/hook', events: ['nope'] })).toBe('invalid_params');
    expect(await refused({ url: `https://example.com/${'a'.repeat(2100)}` })).toBe('invalid_params');
    expect((await gw.admin('addWebhook', { scope_id: randomUUID(), url: 'https://example.com/hook' })).error?.data).toBe('scope_not_found');
    for (let i = 0; i < 10; i += 1) await gw.addWebhook(scopeId, `https://example.com/hook/${i}`);
    expect(await refused({ url: 'https://example.com/hook/10' })).toBe('too_many_webhooks');
    expect((await gw.admin('removeWebhook', { scope_id: scopeId, webhook_id: randomUUID() })).error?.data).toBe('webhook_not_found');
    // Another scope's endpoint cannot be removed through this scope.
    const otherScope = (await gw.harness.createScope()).scope_id;
    const theirs = await gw.addWebhook(otherScope, 'https://example.com/theirs');
    expect((await gw.admin('removeWebhook', { scope_id: scopeId, webhook_id: theirs.webhook_id })).error?.data).toBe('webhook_not_found');
    const theirLog = await gw.admin<{ events: Array<{ event: string; webhook_id: string | null }> }>('getAuditLog', { scope_id: otherScope });
    expect(theirLog.result!.events.map((e) => [e.event, e.webhook_id])).toEqual([['webhook_added', theirs.webhook_id]]);
    expect((await gw.admin('removeWebhook', { scope_id: otherScope, webhook_id: theirs.webhook_id })).result).toEqual({ scope_id: otherScope, webhook_id: theirs.webhook_id, removed: true });
    // Without the token, nothing.
    for (const method of ['addWebhook', 'listWebhooks', 'removeWebhook']) {
      const reply = await adminCall(gw.harness.url, method, { scope_id: scopeId, url: 'https://example.com/x', webhook_id: theirs.webhook_id });
      expect(reply.error?.data).toBe('admin_unauthorized');
    }
  });
});

describeForBackends('webhooks without WEBHOOK_ALLOW_LOOPBACK', (backend) => {
  let gw: Awaited<ReturnType<typeof adminGateway>>;
  beforeAll(async () => {
    gw = await adminGateway(backend, {});
  });
  afterAll(() => gw?.close());

  it('should refuse loopback endpoints, by address or by name, over http:// or https://', async () => {
    const scopeId = (await gw.harness.createScope()).scope_id;
    for (const url of ['http://127.0.0.1:9/hook', 'https://127.0.0.1/hook', 'https://127.1.2.3/hook', 'https://[::1]/hook', 'https://localhost/hook', 'https://api.localhost/hook', 'https://[::ffff:127.0.0.1]/']) {
      expect([url, (await gw.admin('addWebhook', { scope_id: scopeId, url })).error?.data]).toEqual([url, 'webhook_url_refused']);
    }
  });
});

describeForBackends('webhooks given up on', (backend) => {
  let gw: Awaited<ReturnType<typeof adminGateway>>;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    gw = await adminGateway(backend, { ...FAST, WEBHOOK_RETRY_FOR_MS: '400' });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await gw?.close();
  });

  it('should mark a delivery failed once its retry window is over, and then deliver the account\'s next event', async () => {
    const scopeId = (await gw.harness.createScope()).scope_id;
    const hook = await gw.addWebhook(scopeId, receiver.url, ['account_disabled', 'account_enabled']);
    const accountId = await gw.account(scopeId);
    receiver.mode = 'error';
    await gw.setDisabled(scopeId, accountId, true);
    const deadline = Date.now() + 10_000;
    while ((await gw.backlog(scopeId, hook.webhook_id)).failed === 0 && Date.now() < deadline) await sleep(50);
    expect(await gw.backlog(scopeId, hook.webhook_id)).toEqual({ pending: 0, failed: 1 });

    receiver.mode = 'ok';
    await gw.setDisabled(scopeId, accountId, false);
    await receiver.waitFor((r) => r.received.length >= 1);
    expect(receiver.received.map((r) => r.type)).toEqual(['account_enabled']);
  });
});

describeForBackends('webhooks when the gateway stops', (backend) => {
  it('should stop at once, giving a send in flight back to the outbox (no attempt counted) for the next process', async () => {
    const receiver = await startWebhookReceiver();
    receiver.mode = 'hang';
    const gw = await adminGateway(backend, { ...FAST, WEBHOOK_TIMEOUT_MS: '20000' });
    let stores: Stores | undefined;
    try {
      const scopeId = (await gw.harness.createScope()).scope_id;
      await gw.addWebhook(scopeId, receiver.url, ['registration']);
      await gw.account(scopeId);
      await receiver.waitFor((r) => r.arrivals >= 1, 15_000, 'the first attempt');
      const stopping = Date.now();
      await gw.harness.gateway.close();
      expect(Date.now() - stopping).toBeLessThan(3000);

      // What the next process finds: the event due at once, never counted as attempted.
      stores = await openStores(loadConfig(gw.harness.env));
      const now = new Date().toISOString();
      const due = await stores.webhooks.claimDeliveries({ now, leaseUntil: new Date(Date.now() + 60_000).toISOString(), leaseToken: randomUUID(), limit: 10 });
      expect(due.map((d) => [d.event.event, d.attempts])).toEqual([['registration', 0]]);
    } finally {
      await stores?.close();
      await receiver.close();
      await gw.cleanupAfterClose();
    }
  });
});
