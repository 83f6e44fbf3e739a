import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { limits } from '../domain/limits.js';
import { webhookEventTypes, webhookEventTypeSchema } from '../domain/webhook.js';
import { GatewayError } from '../errors/gateway-error.js';
import { adminMethod } from '../rpc/rpc-method.js';
import type { WebhookStore } from '../stores/webhook-store.js';
import { addWebhookEndpoint, type WebhookEndpointDeps } from '../webhooks/webhook-endpoints.js';

export interface WebhookAdminDeps extends Omit<WebhookEndpointDeps, 'webhooks'> {
  webhooks: WebhookStore;
  audit: AuditRecorder;
}

const endpointSchema = z.object({
  webhook_id: z.string(),
  scope_id: z.string(),
  url: z.string(),
  events: z.array(webhookEventTypeSchema).nullable().describe('null: every event type, including ones added later'),
  created_at: z.string(),
});

export function addWebhookMethod(deps: WebhookAdminDeps) {
  return adminMethod({
    name: 'addWebhook',
    summary: 'Add a webhook endpoint to a scope (admin)',
    description:
      'Needs Authorization: Bearer <admin token>, or an operator session (the console). url: https:// to a public address (http:// and loopback only with WEBHOOK_ALLOW_LOOPBACK=on). ' +
      `events: the audit event types to send (default: all). At most ${limits.webhooksPerScope} per scope. ` +
      'The result holds the signing secret (whsec_…), shown this once.',
    params: z.object({
      scope_id: z.uuid(),
      url: z.string().min(1).max(limits.webhookUrlChars),
      events: z.array(webhookEventTypeSchema).min(1).max(webhookEventTypes.length * 2).optional(),
    }),
    result: endpointSchema.extend({ secret: z.string().describe('Standard Webhooks secret: whsec_ + base64 of 32 bytes') }),
    async handler({ scope_id, url, events }, ctx) {
      return addWebhookEndpoint(deps, { scopeId: scope_id, url, events: events ?? null }, (webhookId) => deps.audit.event(ctx, 'webhook_added', { scope_id, webhook_id: webhookId }));
    },
  });
}

export function listWebhooksMethod(deps: Pick<WebhookAdminDeps, 'webhooks'>) {
  return adminMethod({
    name: 'listWebhooks',
    readOnly: true,
    summary: "A scope's webhook endpoints, with their outbox backlog (admin)",
    description: 'Needs Authorization: Bearer <admin token>, or an operator session (the console). backlog.pending: deliveries not yet made; backlog.failed: deliveries given up on. Secrets are never listed.',
    params: z.object({ scope_id: z.uuid() }),
    result: z.object({ webhooks: z.array(endpointSchema.extend({ backlog: z.object({ pending: z.number().int(), failed: z.number().int() }) })) }),
    async handler({ scope_id }) {
      return { webhooks: await deps.webhooks.listWebhooks(scope_id) };
    },
  });
}

export function removeWebhookMethod(deps: Pick<WebhookAdminDeps, 'webhooks' | 'audit'>) {
  return adminMethod({
    name: 'removeWebhook',
    summary: 'Remove a webhook endpoint and the deliveries still owed to it (admin)',
    description: 'Needs Authorization: Bearer <admin token>, or an operator session (the console).',
    params: z.object({ scope_id: z.uuid(), webhook_id: z.uuid() }),
    result: z.object({ scope_id: z.string(), webhook_id: z.string(), removed: z.literal(true) }),
    async handler({ scope_id, webhook_id }, ctx) {
      if (!(await deps.webhooks.removeWebhook(scope_id, webhook_id, deps.audit.event(ctx, 'webhook_removed', { scope_id, webhook_id })))) throw new GatewayError('webhook_not_found');
      return { scope_id, webhook_id, removed: true as const };
    },
  });
}
