import { z } from 'zod';

/** Everything the audit log records, one name per kind of event. */
export const auditEventNames = [
  'registration',
  'credential_added',
  'credential_renamed',
  'display_name_changed',
  'credential_deleted',
  'sign_in_succeeded',
  'sign_in_failed',
  'counter_regression',
  'credential_backup_changed',
  'sign_out',
  'sessions_revoked',
  'account_disabled',
  'account_enabled',
  'scope_created',
  'scope_updated',
  'message_signed',
  'typed_data_signed',
  'transaction_signed',
  'delegated_registration',
  'delegate_key_added',
  'delegate_key_removed',
  'api_key_created',
  'api_key_revoked',
  'api_key_scope_mismatch',
  'account_deleted',
  'registration_token_created',
  'sign_in_token_created',
  'sign_in_verified',
  'recovery_codes_regenerated',
  'recovery_code_used',
  'recovery_failed',
  'webhook_added',
  'webhook_removed',
  'operator_invited',
] as const;

export const auditEventNameSchema = z.enum(auditEventNames);
export type AuditEventName = (typeof auditEventNames)[number];

/** One audit record as written; ids, keys and payloads never go in, only who, what and why. */
export interface NewAuditEvent {
  scope_id: string;
  occurred_at: string;
  event: AuditEventName;
  account_id: string | null;
  credential_id: string | null;
  /**
   * For failures: the error reason the client was given (e.g. verification_failed); for
   * credential_backup_changed: which backup flags changed (e.g. `be:0->1 bs:0->1`); for
   * sessions_revoked: who ended them (`user`, `admin`, `api_key`, or `account_deleted`); for changes made
   * through a server method: who made them (`admin` or `api_key`); for api_key_scope_mismatch: the
   * scope the key named.
   */
  reason: string | null;
  client_ip: string | null;
  request_id: string | null;
  /** Signatures: the chain id the transaction or typed data named (null for messages and typed data without one). */
  chain_id?: number | null;
  /** Signatures: the 32-byte digest the account key signed, 0x hex (a hash of what was signed, never the payload). */
  signed_digest?: string | null;
  /** The delegate key that acted (delegated registrations and calls) or was added or removed: its key id. */
  delegate_key_id?: string | null;
  /** The server API key that made the call (its key id), or that was created or revoked. */
  api_key_id?: string | null;
  /** account_deleted: the account's identifier hash, the only trace of its username the log keeps. */
  identifier_hash?: string | null;
  /** The webhook endpoint added or removed: its id. */
  webhook_id?: string | null;
}

export interface AuditEvent extends NewAuditEvent {
  /** Grows with every insert: the order of the log and the cursor for paging. */
  event_id: number;
  chain_id: number | null;
  signed_digest: string | null;
  delegate_key_id: string | null;
  api_key_id: string | null;
  identifier_hash: string | null;
  webhook_id: string | null;
}

export const auditEventSchema = z.object({
  event_id: z.number().int(),
  scope_id: z.string(),
  occurred_at: z.string(),
  event: auditEventNameSchema,
  account_id: z.string().nullable(),
  credential_id: z.string().nullable(),
  reason: z.string().nullable(),
  client_ip: z.string().nullable(),
  request_id: z.string().nullable(),
  chain_id: z.number().int().nullable(),
  signed_digest: z.string().nullable(),
  delegate_key_id: z.string().nullable(),
  api_key_id: z.string().nullable(),
  identifier_hash: z.string().nullable(),
  webhook_id: z.string().nullable(),
});

/** Which part of a scope's log to read: after a cursor and/or from a time, oldest first. */
export interface AuditQuery {
  since?: string;
  afterId?: number;
  limit: number;
  /** Only events of this type. */
  event?: AuditEventName;
  /** Only events about this account. */
  accountId?: string;
}

export const AUDIT_PAGE_MAX = 1000;
