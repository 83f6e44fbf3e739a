import { auditEventNames, type AuditEvent, type AuditQuery, type NewAuditEvent } from '../domain/audit-event.js';
import { rowsOf, type Insert, type SqlDatabase } from '../sql/sql-database.js';
import { statement } from '../sql/statement.js';
import { decode, encode, integer, nullable, oneOf, table, text, timestamp } from '../sql/table.js';

/** Each scope's append-only audit log: there is deliberately no way to change or remove an entry. */
export interface AuditLogStore {
  appendAuditEvent(event: NewAuditEvent): Promise<void>;
  /** A scope's audit events in the order they were written (at most `query.limit`). */
  listAuditEvents(scopeId: string, query: AuditQuery): Promise<AuditEvent[]>;
}

/** The log's columns; event_id is numbered by the database and orders the log. */
export const auditLog = table<NewAuditEvent>('audit_log', {
  scope_id: text,
  occurred_at: timestamp,
  event: oneOf(auditEventNames),
  account_id: nullable(text),
  credential_id: nullable(text),
  reason: nullable(text),
  client_ip: nullable(text),
  request_id: nullable(text),
  chain_id: nullable(integer),
  signed_digest: nullable(text),
  delegate_key_id: nullable(text),
  api_key_id: nullable(text),
  identifier_hash: nullable(text),
  webhook_id: nullable(text),
});

/** The audit rows a change carries (SqlDatabase.run): written with it, and only when it happens. */
export function auditRows(audit: NewAuditEvent | readonly NewAuditEvent[] | undefined): Insert | undefined {
  if (audit === undefined) return undefined;
  return rowsOf(auditLog, 'event' in audit ? [audit] : audit);
}

/** Columns added by later migrations (8, 9, 11) read as null on every row, never as absent. */
export function withNulls(event: NewAuditEvent): Omit<AuditEvent, 'event_id'> {
  return {
    ...event,
    chain_id: event.chain_id ?? null,
    signed_digest: event.signed_digest ?? null,
    delegate_key_id: event.delegate_key_id ?? null,
    api_key_id: event.api_key_id ?? null,
    identifier_hash: event.identifier_hash ?? null,
    webhook_id: event.webhook_id ?? null,
  };
}

// A null cursor or time matches everything ('-infinity' also sorts before any ISO-8601 text).
const list = statement(
  'list_audit_events',
  `SELECT event_id, ${auditLog.names.join(', ')} FROM audit_log
   WHERE scope_id = :scope_id AND event_id > coalesce(:after_id::bigint, 0) AND occurred_at >= coalesce(:since::timestamptz, '-infinity')
     AND (:event::text IS NULL OR event = :event::text) AND (:account_id::text IS NULL OR account_id = :account_id::text)
   ORDER BY event_id LIMIT :limit`,
);

export function sqlAuditLogStore(db: SqlDatabase): AuditLogStore {
  return {
    async appendAuditEvent(event) {
      await db.run(auditLog.insert, encode(auditLog, event));
    },
    async listAuditEvents(scopeId, query) {
      const since = query.since === undefined ? null : timestamp.encode(query.since);
      const rows = await db.all(list, { scope_id: scopeId, after_id: query.afterId ?? null, since, limit: query.limit, event: query.event ?? null, account_id: query.accountId ?? null });
      return rows.map((row) => {
        const event = decode(auditLog, row);
        return { event_id: integer.decode(row.event_id), ...withNulls(event) };
      });
    },
  };
}
