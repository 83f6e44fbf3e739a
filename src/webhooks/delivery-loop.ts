import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { webhookPayload, type ClaimedDelivery, type DeliveryOutcome } from '../domain/webhook.js';
import type { WebhookStore } from '../stores/webhook-store.js';
import type { AddressKind } from './address-guard.js';
import { nextAttemptAt, type RetrySchedule } from './retry-schedule.js';
import type { WebhookSecretBox } from './webhook-secret.js';
import { sendWebhook, type SendResult } from './webhook-sender.js';

export interface DeliverySettings {
  pollIntervalMs: number;
  timeoutMs: number;
  allowLoopback: boolean;
  retry: RetrySchedule;
  /** Deliveries claimed (and sent side by side) per round. */
  batchSize: number;
}

export interface DeliveryLoopDeps {
  store: Pick<WebhookStore, 'claimDeliveries' | 'finishDelivery'>;
  secrets: WebhookSecretBox;
  classify: (address: string) => AddressKind;
  settings: DeliverySettings;
  log: Logger;
  now: () => number;
  /** Told each attempt's outcome (metrics). */
  onOutcome?: (outcome: DeliveryOutcome['kind']) => void;
}

export interface DeliveryLoop {
  /** Stops claiming, aborts the sends in flight and gives their deliveries back (due at once); resolves when nothing runs. */
  stop(): Promise<void>;
}

/**
 * The gateway's webhook sender: claims due deliveries from the outbox, signs each per Standard
 * Webhooks and POSTs it, and writes the outcome. While a round finds work the next one starts at
 * once; otherwise it waits pollIntervalMs. A failed round (database away) is logged and retried at
 * the next poll: nothing is lost, the rows wait in the outbox.
 */
export function startDeliveryLoop(deps: DeliveryLoopDeps): DeliveryLoop {
  const { settings, log } = deps;
  const stopping = new AbortController();
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  // A claim outlives the longest send it covers; a process that dies holding one gives it up then.
  const leaseMs = 2 * settings.timeoutMs + 1000;

  const attempt = async (delivery: ClaimedDelivery): Promise<void> => {
    const body = JSON.stringify(webhookPayload(delivery.event));
    const id = delivery.message_id;
    const sentAt = new Date(deps.now());
    let result: SendResult;
    try {
      const signer = new Webhook(deps.secrets.open(delivery.endpoint.webhook_id, delivery.endpoint.sealed_secret));
      result = await sendWebhook({
        url: delivery.endpoint.url,
        body,
        headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)), 'webhook-signature': signer.sign(id, sentAt, body) },
        timeoutMs: settings.timeoutMs,
        allowLoopback: settings.allowLoopback,
        classify: deps.classify,
        signal: stopping.signal,
      });
    } catch (err) {
      log.error({ err, webhookId: delivery.endpoint.webhook_id }, 'webhook could not be signed');
      result = { ok: false, error: 'signing_failed' };
    }
    const now = deps.now();
    const outcome = outcomeOf(result, delivery, now);
    deps.onOutcome?.(outcome.kind);
    if (outcome.kind === 'failed') log.warn({ webhookId: delivery.endpoint.webhook_id, eventId: delivery.event.event_id, error: outcome.error }, 'webhook delivery given up');
    const kept = await deps.store.finishDelivery(delivery.delivery_id, delivery.lease_token, outcome, new Date(now).toISOString());
    if (!kept) log.warn({ webhookId: delivery.endpoint.webhook_id, eventId: delivery.event.event_id }, 'webhook delivery claim expired before its outcome was written');
  };

  const outcomeOf = (result: SendResult, delivery: ClaimedDelivery, now: number): DeliveryOutcome => {
    if (result.ok) return { kind: 'delivered' };
    if (result.error === 'aborted') return { kind: 'released' };
    const next = nextAttemptAt(settings.retry, delivery.attempts + 1, Date.parse(delivery.created_at), now);
    return next === null ? { kind: 'failed', error: result.error } : { kind: 'retry', next_attempt_at: new Date(next).toISOString(), error: result.error };
  };

  const round = async (): Promise<number> => {
    const now = deps.now();
    const claimed = await deps.store.claimDeliveries({
      now: new Date(now).toISOString(),
      leaseUntil: new Date(now + leaseMs).toISOString(),
      leaseToken: randomUUID(),
      limit: settings.batchSize,
    });
    // Side by side: a batch holds at most one delivery per endpoint and account.
    const results = await Promise.allSettled(claimed.map(attempt));
    for (const failure of results) if (failure.status === 'rejected') log.warn({ err: failure.reason }, 'webhook delivery outcome could not be written');
    return claimed.length;
  };

  const running = (async () => {
    while (!stopping.signal.aborted) {
      let busy = false;
      try {
        busy = (await round()) > 0;
      } catch (err) {
        log.warn({ err }, 'webhook outbox could not be read');
      }
      if (!busy && !stopping.signal.aborted) await pause(settings.pollIntervalMs);
    }
  })();

  return {
    async stop() {
      stopping.abort();
      wake?.();
      await running;
    },
  };
}
