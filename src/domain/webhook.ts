import { z } from 'zod';
import { auditEventNames, type AuditEvent } from './audit-event.js';

/**
 * What a webhook endpoint can ask for: every audit event, by its audit name, so an event added to
 * the audit log can be subscribed to with no change here (counter_regression and the account
 * lifecycle events among them).
 */
export const webhookEventTypes = auditEventNames;
export const webhookEventTypeSchema = z.enum(webhookEventTypes);
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** An endpoint as listed: never its secret, which is shown once, when it is added. */
export interface WebhookEndpoint {
  webhook_id: string;
  scope_id: string;
  url: string;
  /** The event types it receives; null: every type, including ones added to the gateway later. */
  events: WebhookEventType[] | null;
  created_at: string;
}

/** An endpoint as stored: its signing secret sealed with the gateway's key (see webhook-secret.ts). */
export interface StoredWebhookEndpoint extends WebhookEndpoint {
  sealed_secret: string;
}

/** Deliveries of an endpoint not yet made, and the ones given up on (the made ones are removed). */
export interface WebhookBacklog {
  pending: number;
  failed: number;
}

/** One delivery claimed for an attempt: the event, where it goes, and the claim that lets its outcome be written. */
export interface ClaimedDelivery {
  delivery_id: number;
  /** The webhook-id header: `msg_` + 32 random hex digits, fixed when the event was written, the same on every retry. */
  message_id: string;
  /** Names this claim: only the process holding it may write the outcome (see WebhookStore.finish). */
  lease_token: string;
  attempts: number;
  /** When the event was written (the first attempt was due then): retries stop a retry window after it. */
  created_at: string;
  endpoint: Pick<StoredWebhookEndpoint, 'webhook_id' | 'url' | 'sealed_secret'>;
  event: AuditEvent;
}

/** What became of one attempt. */
export type DeliveryOutcome =
  | { kind: 'delivered' }
  /** Not attempted after all (the gateway is stopping): due again at once, no attempt counted. */
  | { kind: 'released' }
  | { kind: 'retry'; next_attempt_at: string; error: string }
  | { kind: 'failed'; error: string };

/** The JSON body each endpoint receives (Standard Webhooks' recommended shape: type, timestamp, data). */
export interface WebhookPayload {
  type: WebhookEventType;
  timestamp: string;
  data: AuditEvent;
}

export function webhookPayload(event: AuditEvent): WebhookPayload {
  return { type: event.event, timestamp: event.occurred_at, data: event };
}
