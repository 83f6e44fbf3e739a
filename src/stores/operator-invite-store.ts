import type { NewAuditEvent } from '../domain/audit-event.js';
import type { Claim, SqlDatabase } from '../sql/sql-database.js';
import { auditRows } from './audit-log-store.js';
import { statement } from '../sql/statement.js';
import { encode, table, text, timestamp } from '../sql/table.js';

/** An invite to register as an operator, as stored: the hash of its token, never the token. */
export interface OperatorInvite {
  invite_hash: string;
  created_at: string;
  expires_at: string;
}

/** The one-time registration links of the operators' scope. */
export interface OperatorInviteStore {
  /** Stores an invite with its audit event (`operator_invited`): both or neither. */
  createInvite(invite: OperatorInvite, audit?: NewAuditEvent): Promise<void>;
  /** Whether an invite with this hash exists, is unused and has not expired at `now`. */
  isRedeemable(inviteHash: string, now: string): Promise<boolean>;
}

const invites = table<OperatorInvite>('operator_invites', { invite_hash: text, created_at: timestamp, expires_at: timestamp });

const sql = {
  redeemable: statement(
    'operator_invite_redeemable',
    'SELECT 1 AS found FROM operator_invites WHERE invite_hash = :invite_hash AND used_at IS NULL AND expires_at > :now::timestamptz',
  ),
  redeem: statement(
    'redeem_operator_invite',
    'UPDATE operator_invites SET used_at = :now::timestamptz WHERE invite_hash = :invite_hash AND used_at IS NULL AND expires_at > :now::timestamptz',
  ),
};

/**
 * The claim that uses an invite up: it changes one row only while the invite is unused and
 * unexpired, so of two registrations racing with one link, one account is created.
 */
export function redeemInviteClaim(inviteHash: string, now: string): Claim {
  return { statement: sql.redeem, params: { invite_hash: inviteHash, now: timestamp.encode(now) } };
}

export function sqlOperatorInviteStore(db: SqlDatabase): OperatorInviteStore {
  return {
    async createInvite(invite, audit) {
      await db.run(invites.insert, encode(invites, invite), auditRows(audit));
    },
    async isRedeemable(inviteHash, now) {
      const rows = await db.all(sql.redeemable, { invite_hash: inviteHash, now: timestamp.encode(now) });
      return rows.length > 0;
    },
  };
}
