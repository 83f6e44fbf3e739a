import { randomUUID } from 'node:crypto';
import { limits } from '../domain/limits.js';
import type { NewAuditEvent } from '../domain/audit-event.js';
import type { WebhookEndpoint, WebhookEventType } from '../domain/webhook.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { WebhookStore } from '../stores/webhook-store.js';
import type { AddressKind } from './address-guard.js';
import { newWebhookSecret, type WebhookSecretBox } from './webhook-secret.js';
import { webhookUrlProblem } from './webhook-url.js';

export interface WebhookEndpointDeps {
  webhooks: Pick<WebhookStore, 'addWebhook'>;
  webhookSecrets: WebhookSecretBox;
  classifyAddress: (address: string) => AddressKind;
  /** WEBHOOK_ALLOW_LOOPBACK. */
  allowLoopbackWebhooks: boolean;
  now: () => number;
}

/**
 * Adds an endpoint, as the admin API and the scope CLI do: webhook_url_refused, scope_not_found,
 * too_many_webhooks. The secret is returned here once and stored only sealed; `audit` (given the
 * endpoint's id) is written with it.
 */
export async function addWebhookEndpoint(
  deps: WebhookEndpointDeps,
  input: { scopeId: string; url: string; events: WebhookEventType[] | null },
  audit?: (webhookId: string) => NewAuditEvent,
): Promise<WebhookEndpoint & { secret: string }> {
  const problem = webhookUrlProblem(input.url, { allowLoopback: deps.allowLoopbackWebhooks, classify: deps.classifyAddress });
  if (problem !== null) throw new GatewayError('webhook_url_refused', `url ${problem}`);
  const webhookId = randomUUID();
  const secret = newWebhookSecret();
  const events = input.events === null ? null : [...new Set(input.events)];
  const added = await deps.webhooks.addWebhook(
    { webhook_id: webhookId, scope_id: input.scopeId, url: input.url, events, sealed_secret: deps.webhookSecrets.seal(webhookId, secret), created_at: new Date(deps.now()).toISOString() },
    limits.webhooksPerScope,
    audit?.(webhookId),
  );
  if (!added.ok) throw new GatewayError(added.conflict);
  return { ...added.endpoint, secret };
}
