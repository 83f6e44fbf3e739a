import type { Logger } from 'pino';
import type { AuditLogStore } from '../stores/audit-log-store.js';
import type { AuditEventName, NewAuditEvent } from '../domain/audit-event.js';

/** Who did something, as far as the call knows: its request id and client address. */
export interface AuditSource {
  requestId: string;
  clientIp?: string;
  log: Logger;
}

export interface AuditFacts {
  scope_id: string;
  account_id?: string | null;
  credential_id?: string | null;
  reason?: string | null;
  chain_id?: number | null;
  signed_digest?: string | null;
  delegate_key_id?: string | null;
  api_key_id?: string | null;
  identifier_hash?: string | null;
  webhook_id?: string | null;
}

export interface AuditRecorder {
  /**
   * The row for an event, for a store to write in the same transaction as the change it
   * describes (account creation, added passkey, sign-in): no extra round trip or commit.
   */
  event(source: AuditSource, event: AuditEventName, facts: AuditFacts): NewAuditEvent;
  /** Writes an event on its own; never throws, so an audit failure cannot undo or fail what already happened. */
  record(source: AuditSource, event: AuditEventName, facts: AuditFacts): Promise<void>;
}

/**
 * Appends to the audit log. The event is written after the change it describes
 * has committed; if that write fails (the database just went away) the event is logged at error
 * level instead and counted, rather than turning a completed registration into an error.
 */
export function createAuditRecorder(deps: { auditLog: AuditLogStore; now: () => number; onWriteFailure?: () => void }): AuditRecorder {
  const row = (source: AuditSource, event: AuditEventName, facts: AuditFacts): NewAuditEvent => ({
    scope_id: facts.scope_id,
    occurred_at: new Date(deps.now()).toISOString(),
    event,
    account_id: facts.account_id ?? null,
    credential_id: facts.credential_id ?? null,
    reason: facts.reason ?? null,
    client_ip: source.clientIp ?? null,
    request_id: source.requestId,
    chain_id: facts.chain_id ?? null,
    signed_digest: facts.signed_digest ?? null,
    delegate_key_id: facts.delegate_key_id ?? null,
    api_key_id: facts.api_key_id ?? null,
    identifier_hash: facts.identifier_hash ?? null,
    webhook_id: facts.webhook_id ?? null,
  });
  return {
    event: row,
    async record(source, event, facts) {
      try {
        await deps.auditLog.appendAuditEvent(row(source, event, facts));
      } catch (err) {
        deps.onWriteFailure?.();
        source.log.error({ requestId: source.requestId, err, audit: { event, ...facts } }, 'audit event could not be written');
      }
    },
  };
}
