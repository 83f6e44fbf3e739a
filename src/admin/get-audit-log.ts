import { z } from 'zod';
import { AUDIT_PAGE_MAX, auditEventNameSchema, auditEventSchema } from '../domain/audit-event.js';
import { adminMethod } from '../rpc/rpc-method.js';
import type { AuditLogStore } from '../stores/audit-log-store.js';

export const auditLogParams = z.object({
  scope_id: z.uuid(),
  since: z.iso.datetime({ offset: true }).optional().describe('only events at or after this time (ISO-8601)'),
  after_id: z.number().int().min(0).optional().describe('only events after this event_id: the next_after_id of the previous page'),
  limit: z.number().int().min(1).max(AUDIT_PAGE_MAX).default(100),
  event: auditEventNameSchema.optional().describe('only events of this type'),
  account_id: z.uuid().optional().describe('only events about this account'),
});

export function getAuditLog(deps: { auditLog: AuditLogStore }) {
  return adminMethod({
    name: 'getAuditLog',
    summary: "A scope's audit log, oldest first (admin)",
    description: 'Needs Authorization: Bearer <admin token>, or an operator session (the console). Pages with after_id; next_after_id is null on the last page.',
    readOnly: true,
    params: auditLogParams,
    result: z.object({ events: z.array(auditEventSchema), next_after_id: z.number().int().nullable() }),
    async handler({ scope_id, since, after_id, limit, event, account_id }) {
      const events = await deps.auditLog.listAuditEvents(scope_id, { since, afterId: after_id, limit, event, accountId: account_id });
      const last = events[events.length - 1];
      return { events, next_after_id: events.length === limit && last !== undefined ? last.event_id : null };
    },
  });
}
