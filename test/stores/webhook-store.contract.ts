/**
 * Behaviour every WebhookStore must have, run unchanged against each SQL backend (see sql-stores.test.ts):
 * the outbox is written by the audit insert itself, claimed one event per account at a time, leased, and settled.
 */
import { randomUUID } from 'node:crypto';
import type { NewAuditEvent } from '../../src/domain/audit-event.js';
import type { StoredWebhookEndpoint, WebhookEventType } from '../../src/domain/webhook.js';
import { newAccount, newScope, type SqlStoresHarness } from './sql-fixtures.js';

const T0 = Date.parse('2025-01-02T03:04:05.678Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

export function runWebhookStoreContract(name: string, makeStores: () => Promise<SqlStoresHarness> | SqlStoresHarness): void {
  describe(`${name} (WebhookStore contract)`, () => {
    let harness: SqlStoresHarness;
    let scopeId: string;

    beforeEach(async () => {
      harness = await makeStores();
      scopeId = (await harness.scopes.createScope(newScope())).scope_id;
    });
    afterEach(() => harness.cleanup());

    const endpoint = (events: WebhookEventType[] | null = null, scope = scopeId): StoredWebhookEndpoint => ({
      webhook_id: randomUUID(), scope_id: scope, url: 'https://hooks.example.com/x', events, sealed_secret: 'v1.sealed', created_at: at(0),
    });
    const add = async (events: WebhookEventType[] | null = null, scope = scopeId) => {
      const stored = endpoint(events, scope);
      const added = await harness.webhooks.addWebhook(stored, 10);
      if (!added.ok) throw new Error(`setup failed: ${added.conflict}`);
      return stored;
    };
    const audit = (event: WebhookEventType, accountId: string | null, scope = scopeId): NewAuditEvent => ({
      scope_id: scope, occurred_at: at(0), event, account_id: accountId, credential_id: null, reason: null, client_ip: null, request_id: 'r',
    });
    const claim = (nowMs: number, leaseMs = 10_000) => harness.webhooks.claimDeliveries({ now: at(nowMs), leaseUntil: at(nowMs + leaseMs), leaseToken: randomUUID(), limit: 50 });
    const summary = (claimed: Awaited<ReturnType<typeof claim>>) => claimed.map((d) => [d.endpoint.webhook_id, d.event.event, d.event.account_id]);

    it('should write one delivery per matching endpoint with each audit event, and hand out one event per endpoint and account at a time', async () => {
      const all = await add();
      const disabledOnly = await add(['account_disabled']);
      const elsewhere = (await harness.scopes.createScope(newScope())).scope_id;
      await add(null, elsewhere);
      await harness.auditLog.appendAuditEvent(audit('registration', 'a1'));
      await harness.auditLog.appendAuditEvent(audit('account_disabled', 'a1'));
      await harness.auditLog.appendAuditEvent(audit('registration', 'a2'));
      await harness.auditLog.appendAuditEvent(audit('scope_updated', null));

      const first = await claim(1000);
      expect(summary(first)).toEqual([
        [all.webhook_id, 'registration', 'a1'],
        [disabledOnly.webhook_id, 'account_disabled', 'a1'],
        [all.webhook_id, 'registration', 'a2'],
        [all.webhook_id, 'scope_updated', null],
      ]);
      expect(first[0]).toMatchObject({ attempts: 0, created_at: at(0), endpoint: { url: 'https://hooks.example.com/x', sealed_secret: 'v1.sealed' }, event: { scope_id: scopeId, request_id: 'r', chain_id: null } });
      // Leased: nothing more until the claims are settled; a1's disable waits behind its registration.
      expect(await claim(1000)).toEqual([]);
      for (const d of first) expect(await harness.webhooks.finishDelivery(d.delivery_id, d.lease_token, { kind: 'delivered' }, at(1000))).toBe(true);
      expect(summary(await claim(1000))).toEqual([[all.webhook_id, 'account_disabled', 'a1']]);
    });

    it('should write nothing when the change the event describes is undone (one transaction)', async () => {
      await add();
      const account = newAccount(scopeId, 'taken');
      expect((await harness.delegates.createDelegatedAccount(account, 'k', audit('delegated_registration', account.account_id))).ok).toBe(true);
      // The same username again: the account, its owner row and its audit row are refused together.
      const again = newAccount(scopeId, 'taken');
      expect(await harness.delegates.createDelegatedAccount(again, 'k', audit('delegated_registration', again.account_id))).toEqual({ ok: false, conflict: 'account_exists' });
      expect(summary(await claim(1000))).toEqual([[expect.any(String), 'delegated_registration', account.account_id]]);
      expect((await harness.auditLog.listAuditEvents(scopeId, { limit: 10 })).length).toBe(1);
    });

    it('should hand a claim to another taker only once its lease is over, and keep the outcome to the current holder', async () => {
      await add();
      await harness.auditLog.appendAuditEvent(audit('registration', 'a1'));
      const [first] = await claim(1000, 5000);
      expect(await claim(5999)).toEqual([]);
      const [second] = await claim(6000, 5000);
      expect(second!.delivery_id).toBe(first!.delivery_id);
      // The webhook-id receivers deduplicate on stays with the delivery.
      expect(first!.message_id).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(second!.message_id).toBe(first!.message_id);
      expect(await harness.webhooks.finishDelivery(first!.delivery_id, first!.lease_token, { kind: 'delivered' }, at(6001))).toBe(false);
      expect(await harness.webhooks.finishDelivery(second!.delivery_id, second!.lease_token, { kind: 'retry', next_attempt_at: at(20_000), error: 'status 503' }, at(6002))).toBe(true);
      expect(await claim(19_999)).toEqual([]);
      const [third] = await claim(20_000);
      expect(third).toMatchObject({ delivery_id: first!.delivery_id, attempts: 1 });
      // Released (the gateway stopping): due at once, no attempt counted.
      expect(await harness.webhooks.finishDelivery(third!.delivery_id, third!.lease_token, { kind: 'released' }, at(20_001))).toBe(true);
      expect(await claim(20_002)).toEqual([expect.objectContaining({ attempts: 1 })]);
    });

    it('should keep failed deliveries for the operator and let the account\'s next event go', async () => {
      const hook = await add();
      await harness.auditLog.appendAuditEvent(audit('account_disabled', 'a1'));
      await harness.auditLog.appendAuditEvent(audit('account_enabled', 'a1'));
      const [first] = await claim(1000);
      expect(await harness.webhooks.finishDelivery(first!.delivery_id, first!.lease_token, { kind: 'failed', error: 'status 500' }, at(1001))).toBe(true);
      expect(summary(await claim(1002))).toEqual([[hook.webhook_id, 'account_enabled', 'a1']]);
      expect(await harness.webhooks.listWebhooks(scopeId)).toEqual([
        { webhook_id: hook.webhook_id, scope_id: scopeId, url: hook.url, events: null, created_at: at(0), backlog: { pending: 1, failed: 1 } },
      ]);
    });

    it('should remove an endpoint with what it is still owed, only through its own scope', async () => {
      const hook = await add();
      await harness.auditLog.appendAuditEvent(audit('registration', 'a1'));
      const elsewhere = (await harness.scopes.createScope(newScope())).scope_id;
      expect(await harness.webhooks.removeWebhook(elsewhere, hook.webhook_id)).toBe(false);
      expect(await harness.webhooks.removeWebhook(scopeId, hook.webhook_id)).toBe(true);
      expect(await harness.webhooks.removeWebhook(scopeId, hook.webhook_id)).toBe(false);
      expect(await claim(1000)).toEqual([]);
      expect(await harness.webhooks.listWebhooks(scopeId)).toEqual([]);
    });

    it('should refuse an endpoint for a scope that does not exist, and more endpoints than the limit', async () => {
      expect(await harness.webhooks.addWebhook(endpoint(null, randomUUID()), 2)).toEqual({ ok: false, conflict: 'scope_not_found' });
      const first = endpoint(['registration', 'counter_regression']);
      const { sealed_secret: _secret, ...listed } = first;
      expect(await harness.webhooks.addWebhook(first, 2)).toEqual({ ok: true, endpoint: listed });
      expect((await harness.webhooks.addWebhook(endpoint(), 2)).ok).toBe(true);
      expect(await harness.webhooks.addWebhook(endpoint(), 2)).toEqual({ ok: false, conflict: 'too_many_webhooks' });
    });
  });
}
