import type { Dialect } from '../sql/dialect.js';
import { webhookEventTypes, type ClaimedDelivery, type DeliveryOutcome, type StoredWebhookEndpoint, type WebhookBacklog, type WebhookEndpoint, type WebhookEventType } from '../domain/webhook.js';
import type { SqlDatabase } from '../sql/sql-database.js';
import { statement } from '../sql/statement.js';
import { canonical, decode, encode, integer, jsonArray, nullable, selectList, table, text, timestamp } from '../sql/table.js';
import type { NewAuditEvent } from '../domain/audit-event.js';
import { auditLog, withNulls } from './audit-log-store.js';

/**
 * Webhook endpoints and their outbox. Deliveries are written by the database itself, with each
 * audit event (migration 11's trigger); this store lists, claims and settles them.
 */
export interface WebhookStore {
  /** Adds an endpoint to an existing scope, with `audit`; refuses more than `maxPerScope`. */
  addWebhook(endpoint: StoredWebhookEndpoint, maxPerScope: number, audit?: NewAuditEvent): Promise<{ ok: true; endpoint: WebhookEndpoint } | { ok: false; conflict: 'scope_not_found' | 'too_many_webhooks' }>;
  /** A scope's endpoints, oldest first, with what each has waiting and what was given up on. */
  listWebhooks(scopeId: string): Promise<Array<WebhookEndpoint & { backlog: WebhookBacklog }>>;
  /** Removes an endpoint and every delivery still owed to it, with `audit`; false (and no audit row) when the scope has no such endpoint. */
  removeWebhook(scopeId: string, webhookId: string, audit?: NewAuditEvent): Promise<boolean>;
  /**
   * Claims up to `limit` due deliveries until `leaseUntil` under `leaseToken`: of each endpoint and
   * account only the oldest one still pending, so an account's later event never overtakes an
   * earlier one. Another process skips rows being claimed (SKIP LOCKED) and claimed rows until their
   * lease ends; a process that died holding one leaves it to be claimed again then.
   */
  claimDeliveries(claim: { now: string; leaseUntil: string; leaseToken: string; limit: number }): Promise<ClaimedDelivery[]>;
  /** Writes an attempt's outcome (delivered: the row goes); false when the claim was lost meanwhile (lease expired and taken). */
  finishDelivery(deliveryId: number, leaseToken: string, outcome: DeliveryOutcome, now: string): Promise<boolean>;
}

const isEventType = (value: unknown): boolean => webhookEventTypes.includes(value as WebhookEventType);
const endpoints = table<StoredWebhookEndpoint>('webhook_endpoints', {
  webhook_id: text,
  scope_id: text,
  url: text,
  events: nullable(jsonArray<WebhookEventType>(isEventType)),
  sealed_secret: text,
  created_at: timestamp,
});
const listed = endpoints.names.filter((name) => name !== 'sealed_secret').join(', ');

const sql = {
  scopeExists: statement('webhook_scope_exists', 'SELECT 1 AS found FROM scopes WHERE scope_id = :scope_id'),
  count: statement('count_webhooks', 'SELECT count(*) AS n FROM webhook_endpoints WHERE scope_id = :scope_id'),
  list: statement('list_webhooks', `SELECT ${listed} FROM webhook_endpoints WHERE scope_id = :scope_id ORDER BY created_at, webhook_id`),
  backlog: statement(
    'webhook_backlog',
    `SELECT d.webhook_id, sum(CASE WHEN d.state = 'pending' THEN 1 ELSE 0 END) AS pending, sum(CASE WHEN d.state = 'failed' THEN 1 ELSE 0 END) AS failed
     FROM webhook_deliveries d JOIN webhook_endpoints e ON e.webhook_id = d.webhook_id WHERE e.scope_id = :scope_id GROUP BY d.webhook_id`,
  ),
  removeDeliveries: statement(
    'remove_webhook_deliveries',
    'DELETE FROM webhook_deliveries WHERE webhook_id IN (SELECT webhook_id FROM webhook_endpoints WHERE scope_id = :scope_id AND webhook_id = :webhook_id)',
  ),
  remove: statement('remove_webhook', 'DELETE FROM webhook_endpoints WHERE scope_id = :scope_id AND webhook_id = :webhook_id'),
  claim: statement(
    'claim_webhook_deliveries',
    (d: Dialect) => `UPDATE webhook_deliveries SET lease_until = :lease_until::timestamptz, lease_token = :lease_token
     WHERE delivery_id IN (
       SELECT d.delivery_id FROM webhook_deliveries d
       WHERE d.state = 'pending' AND d.next_attempt_at <= :now::timestamptz AND (d.lease_until IS NULL OR d.lease_until <= :now::timestamptz)
         AND NOT EXISTS (
           SELECT 1 FROM webhook_deliveries p
           WHERE p.webhook_id = d.webhook_id AND p.ordering_key = d.ordering_key AND p.state = 'pending' AND p.delivery_id < d.delivery_id)
       ORDER BY d.delivery_id LIMIT :limit ${d.name === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : ''})`,
  ),
  claimed: statement(
    'claimed_webhook_deliveries',
    `SELECT d.delivery_id, d.message_id, d.lease_token, d.attempts, d.created_at, e.webhook_id, e.url, e.sealed_secret, a.event_id AS a_event_id, ${selectList(auditLog, 'a')}
     FROM webhook_deliveries d JOIN webhook_endpoints e ON e.webhook_id = d.webhook_id JOIN audit_log a ON a.event_id = d.event_id
     WHERE d.lease_token = :lease_token ORDER BY d.delivery_id`,
  ),
  release: statement('webhook_release', 'UPDATE webhook_deliveries SET lease_until = NULL, lease_token = NULL WHERE delivery_id = :delivery_id AND lease_token = :lease_token'),
  delivered: statement('webhook_delivered', 'DELETE FROM webhook_deliveries WHERE delivery_id = :delivery_id AND lease_token = :lease_token'),
  retry: statement(
    'webhook_retry',
    `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = :next_attempt_at::timestamptz, lease_until = NULL, lease_token = NULL, last_error = :last_error
     WHERE delivery_id = :delivery_id AND lease_token = :lease_token`,
  ),
  failed: statement(
    'webhook_failed',
    `UPDATE webhook_deliveries SET attempts = attempts + 1, state = 'failed', failed_at = :now::timestamptz, lease_until = NULL, lease_token = NULL, last_error = :last_error
     WHERE delivery_id = :delivery_id AND lease_token = :lease_token`,
  ),
};

export function sqlWebhookStore(db: SqlDatabase): WebhookStore {
  const withoutSecret = ({ sealed_secret: _secret, ...endpoint }: StoredWebhookEndpoint): WebhookEndpoint => endpoint;
  return {
    async addWebhook(endpoint, maxPerScope, audit) {
      if (!Number.isInteger(maxPerScope) || maxPerScope < 1) throw new RangeError(`maxPerScope must be a positive integer, got ${maxPerScope}`);
      // Additions queue one behind the other, so the count they check cannot change before they commit.
      return db.transaction(async (tx) => {
        if ((await tx.all(sql.scopeExists, { scope_id: endpoint.scope_id })).length === 0) return { ok: false as const, conflict: 'scope_not_found' as const };
        const [count] = await tx.all(sql.count, { scope_id: endpoint.scope_id });
        if (integer.decode(count?.n) >= maxPerScope) return { ok: false as const, conflict: 'too_many_webhooks' as const };
        await tx.run(endpoints.insert, encode(endpoints, endpoint));
        // After the endpoint: its own addition is the first event it is sent.
        if (audit !== undefined) await tx.run(auditLog.insert, encode(auditLog, audit));
        return { ok: true as const, endpoint: withoutSecret(canonical(endpoints, endpoint)) };
      }, { serialize: 'webhook_endpoints' });
    },

    async listWebhooks(scopeId) {
      const [rows, backlogRows] = await Promise.all([db.all(sql.list, { scope_id: scopeId }), db.all(sql.backlog, { scope_id: scopeId })]);
      const backlogs = new Map(backlogRows.map((row) => [text.decode(row.webhook_id), { pending: integer.decode(row.pending), failed: integer.decode(row.failed) }]));
      return rows.map((row) => {
        const endpoint = withoutSecret(decode(endpoints, { ...row, sealed_secret: '' }));
        return { ...endpoint, backlog: backlogs.get(endpoint.webhook_id) ?? { pending: 0, failed: 0 } };
      });
    },

    async removeWebhook(scopeId, webhookId, audit) {
      const params = { scope_id: scopeId, webhook_id: webhookId };
      return db.transaction(async (tx) => {
        await tx.run(sql.removeDeliveries, params);
        const removed = (await tx.run(sql.remove, params)) > 0;
        if (removed && audit !== undefined) await tx.run(auditLog.insert, encode(auditLog, audit));
        return removed;
      });
    },

    async claimDeliveries({ now, leaseUntil, leaseToken, limit }) {
      const rows = await db.transaction(async (tx) => {
        const claimed = await tx.run(sql.claim, { now: timestamp.encode(now), lease_until: timestamp.encode(leaseUntil), lease_token: leaseToken, limit });
        return claimed === 0 ? [] : tx.all(sql.claimed, { lease_token: leaseToken });
      });
      return rows.map((row) => {
        const event = decode(auditLog, row, 'a_');
        return {
          delivery_id: integer.decode(row.delivery_id),
          message_id: text.decode(row.message_id),
          lease_token: text.decode(row.lease_token),
          attempts: integer.decode(row.attempts),
          created_at: timestamp.decode(row.created_at),
          endpoint: { webhook_id: text.decode(row.webhook_id), url: text.decode(row.url), sealed_secret: text.decode(row.sealed_secret) },
          event: { event_id: integer.decode(row.a_event_id), ...withNulls(event) },
        };
      });
    },

    async finishDelivery(deliveryId, leaseToken, outcome, now) {
      const claim = { delivery_id: deliveryId, lease_token: leaseToken };
      switch (outcome.kind) {
        case 'delivered':
          return (await db.run(sql.delivered, claim)) > 0;
        case 'released':
          return (await db.run(sql.release, claim)) > 0;
        case 'retry':
          return (await db.run(sql.retry, { ...claim, next_attempt_at: timestamp.encode(outcome.next_attempt_at), last_error: outcome.error })) > 0;
        case 'failed':
          return (await db.run(sql.failed, { ...claim, now: timestamp.encode(now), last_error: outcome.error })) > 0;
      }
    },
  };
}
