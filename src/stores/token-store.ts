import type { NewAuditEvent } from '../domain/audit-event.js';
import type { OneTimeToken, OneTimeTokenKind } from '../domain/one-time-token.js';
import { rowsOf, type SqlDatabase, type SqlExecutor } from '../sql/sql-database.js';
import { statement } from '../sql/statement.js';
import { decode, nullable, oneOf, table, text, timestamp } from '../sql/table.js';
import { auditLog } from './audit-log-store.js';

/**
 * One-time tokens by their keyed hash. A token is used up by deleting its row: of any number of
 * concurrent uses, on any number of gateway processes, the database lets one delete it. Expired
 * rows are never answered and are swept in passing.
 */
export interface TokenStore {
  /** Stores a new token, with `audit`: both or neither. */
  createToken(token: OneTimeToken, audit?: NewAuditEvent): Promise<void>;
  /** The token of this hash, kind and scope while it has not expired (it stays usable). */
  findToken(tokenHash: string, kind: OneTimeTokenKind, scopeId: string, now: string): Promise<OneTimeToken | null>;
  /** Uses the token up: the token when this call deleted it unexpired, null otherwise (unknown, used, expired, another kind or scope). */
  consumeToken(tokenHash: string, kind: OneTimeTokenKind, scopeId: string, now: string): Promise<OneTimeToken | null>;
  /**
   * Deletes expired tokens, at most once a second per store (a no-op otherwise); createToken does it
   * itself, writers that store tokens along with other rows (a sign-in's result token) call it.
   */
  sweepExpired(now: string): Promise<void>;
}

export const oneTimeTokens = table<OneTimeToken>('one_time_tokens', {
  token_hash: text,
  scope_id: text,
  kind: oneOf(['registration', 'sign_in', 'sign_in_result']),
  account_id: nullable(text),
  user_id: nullable(text),
  payload: text,
  created_at: timestamp,
  expires_at: timestamp,
});
const columns = oneTimeTokens.names.join(', ');

/** Expired tokens deleted by one sweep, and how often a store sweeps (1000 a second is above any one process's sign-in rate). */
const SWEEP_ROWS = 1000;
const SWEEP_INTERVAL_MS = 1000;

const sql = {
  find: statement(
    'find_one_time_token',
    `SELECT ${columns} FROM one_time_tokens WHERE token_hash = :token_hash AND kind = :kind AND scope_id = :scope_id AND expires_at > :now`,
  ),
  consume: statement(
    'consume_one_time_token',
    `DELETE FROM one_time_tokens WHERE token_hash = :token_hash AND kind = :kind AND scope_id = :scope_id AND expires_at > :now RETURNING ${columns}`,
  ),
  // Bounded, so one call never pays for a long backlog.
  sweep: statement('sweep_one_time_tokens', `DELETE FROM one_time_tokens WHERE token_hash IN (SELECT token_hash FROM one_time_tokens WHERE expires_at < :now LIMIT ${SWEEP_ROWS})`),
};

const key = (tokenHash: string, kind: OneTimeTokenKind, scopeId: string, now: string) => ({
  token_hash: tokenHash,
  kind,
  scope_id: scopeId,
  now: timestamp.encode(now),
});

/**
 * Deletes the account's pending sign-in tokens (second-factor tokens and unexchanged sign-in
 * results) inside a caller's transaction: ending all of its sessions or disabling it ends the
 * sign-ins under way too.
 */
export const deletePendingSignIns = statement(
  'delete_pending_sign_ins',
  "DELETE FROM one_time_tokens WHERE account_id = :account_id AND kind IN ('sign_in', 'sign_in_result')",
);

/** Uses a token up inside a caller's transaction (a registration adds its passkey in the same one). */
export async function consumeTokenIn(tx: SqlExecutor, tokenHash: string, kind: OneTimeTokenKind, scopeId: string, now: string): Promise<OneTimeToken | null> {
  const [row] = await tx.all(sql.consume, key(tokenHash, kind, scopeId, now));
  return row === undefined ? null : decode(oneTimeTokens, row);
}

export function sqlTokenStore(db: SqlDatabase): TokenStore {
  // Expired tokens are swept by a creation at most once a second per store, not by every one: every
  // sign-in creates a token, and a sweep per sign-in (a second round trip, and on a table without
  // vacuum an index walk over every dead row) cost PostgreSQL more than the rest of the sign-in.
  let nextSweepAt = 0;
  const sweepExpired = async (now: string): Promise<void> => {
    const at = Date.parse(now);
    if (at < nextSweepAt) return;
    nextSweepAt = at + SWEEP_INTERVAL_MS;
    await db.run(sql.sweep, { now: timestamp.encode(now) });
  };
  return {
    async createToken(token, audit) {
      await db.insertAll([rowsOf(oneTimeTokens, [token]), ...(audit === undefined ? [] : [rowsOf(auditLog, [audit])])]);
      await sweepExpired(token.created_at);
    },
    sweepExpired,
    async findToken(tokenHash, kind, scopeId, now) {
      const [row] = await db.all(sql.find, key(tokenHash, kind, scopeId, now));
      return row === undefined ? null : decode(oneTimeTokens, row);
    },
    async consumeToken(tokenHash, kind, scopeId, now) {
      return consumeTokenIn(db, tokenHash, kind, scopeId, now);
    },
  };
}
