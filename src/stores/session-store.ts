import type { NewAuditEvent } from '../domain/audit-event.js';
import type { SessionRevocation, SessionState } from '../domain/session.js';
import { accounts } from './account-store.js';
import { auditRows } from './audit-log-store.js';
import { deletePendingSignIns } from './token-store.js';
import type { Dialect } from '../sql/dialect.js';
import type { SqlDatabase } from '../sql/sql-database.js';
import { statement } from '../sql/statement.js';
import { boolean, decode, encode, nullable, selectList, table, text, timestamp } from '../sql/table.js';

/**
 * What ends sessions before they expire: revoked jtis, kept where nothing evicts them until the
 * session would have expired, and each account's sessions-valid-after time.
 */
export interface SessionStore {
  /**
   * The account of a session with what decides whether the session still holds: the passkey that
   * started it (`credentialId`), its jti's revocation, the account's sessions-valid-after time.
   * Null when the account is gone.
   */
  sessionState(accountId: string, credentialId: string, jti: string): Promise<SessionState | null>;
  /**
   * Revokes one session until `expires_at`; `audit` is appended with it when the jti was not
   * revoked already. Revocations that expired before `now` are swept in passing.
   */
  revokeSession(revocation: SessionRevocation, now: string, audit?: NewAuditEvent): Promise<void>;
  /** Ends every session of the account issued before `validAfter` (never moved back); false when there is no such account. */
  endSessions(accountId: string, validAfter: string, audit?: NewAuditEvent): Promise<boolean>;
}

const revocations = table<SessionRevocation>('revoked_sessions', { jti: text, account_id: text, expires_at: timestamp });
const optionalTime = nullable(timestamp);

const sql = {
  state: statement(
    'session_state',
    `SELECT ${selectList(accounts, 'a')}, a.sessions_valid_after,
       (SELECT c.created_at FROM credentials c
        WHERE c.scope_id = a.scope_id AND c.credential_id = :credential_id AND c.account_id = a.account_id) AS credential_created_at,
       EXISTS (SELECT 1 FROM revoked_sessions r WHERE r.jti = :jti) AS revoked
     FROM accounts a WHERE a.account_id = :account_id`,
  ),
  revoke: statement('revoke_session', 'INSERT INTO revoked_sessions (jti, account_id, expires_at) VALUES (:jti, :account_id, :expires_at) ON CONFLICT (jti) DO NOTHING'),
  // Bounded, so one logout never pays for a backlog: every logout sweeps a little.
  sweep: statement('sweep_revoked_sessions', 'DELETE FROM revoked_sessions WHERE jti IN (SELECT jti FROM revoked_sessions WHERE expires_at < :now LIMIT 100)'),
  // Never moved back: of two concurrent calls the later time wins (SQLite's max() is NULL for a NULL).
  end: statement(
    'end_sessions',
    (d: Dialect) =>
      `UPDATE accounts SET sessions_valid_after = coalesce(${d.greatest}(sessions_valid_after, :valid_after::timestamptz), :valid_after::timestamptz)
       WHERE account_id = :account_id`,
  ),
};

export function sqlSessionStore(db: SqlDatabase): SessionStore {
  return {
    async sessionState(accountId, credentialId, jti) {
      const [row] = await db.all(sql.state, { account_id: accountId, credential_id: credentialId, jti });
      if (row === undefined) return null;
      return {
        account: decode(accounts, row, 'a_'),
        credential_created_at: optionalTime.decode(row.credential_created_at),
        revoked: boolean.decode(row.revoked),
        sessions_valid_after: optionalTime.decode(row.sessions_valid_after),
      };
    },
    async revokeSession(revocation, now, audit) {
      await db.run(sql.revoke, encode(revocations, revocation), auditRows(audit));
      await db.run(sql.sweep, { now: timestamp.encode(now) });
    },
    async endSessions(accountId, validAfter, audit) {
      return db.transaction(async (tx) => {
        if ((await tx.run(sql.end, { account_id: accountId, valid_after: timestamp.encode(validAfter) })) === 0) return false;
        await tx.run(deletePendingSignIns, { account_id: accountId });
        const also = auditRows(audit);
        if (also !== undefined) for (const row of also.rows) await tx.run(also.statement, row);
        return true;
      });
    },
  };
}
