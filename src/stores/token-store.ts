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

const sql = {
  find: statement(
    'find_one_time_token',
    `SELECT ${columns} FROM one_time_tokens WHERE token_hash = :token_hash AND kind = :kind AND scope_id = :scope_id AND expires_at > :now`,
  ),
  consume: statement(
    'consume_one_time_token',
    `DELETE FROM one_time_tokens WHERE token_hash = :token_hash AND kind = :kind AND scope_id = :scope_id AND expires_at > :now RETURNING ${columns}`,
  ),
  // Bounded, so one call never pays for a backlog: every creation sweeps a little.
  sweep: statement('sweep_one_time_tokens', 'DELETE FROM one_time_tokens WHERE token_hash IN (SELECT token_hash FROM one_time_tokens WHERE expires_at < :now LIMIT 100)'),
};

const key = (tokenHash: string, kind: OneTimeTokenKind, scopeId: string, now: string) => ({
  token_hash: tokenHash,
  kind,
  scope_id: scopeId,
  now: timestamp.encode(now),
});

/** Uses a token up inside a caller's transaction (a registration adds its passkey in the same one). */
export async function consumeTokenIn(tx: SqlExecutor, tokenHash: string, kind: OneTimeTokenKind, scopeId: string, now: string): Promise<OneTimeToken | null> {
  const [row] = await tx.all(sql.consume, key(tokenHash, kind, scopeId, now));
  return row === undefined ? null : decode(oneTimeTokens, row);
}

export function sqlTokenStore(db: SqlDatabase): TokenStore {
  return {
    async createToken(token, audit) {
      await db.insertAll([rowsOf(oneTimeTokens, [token]), ...(audit === undefined ? [] : [rowsOf(auditLog, [audit])])]);
      await db.run(sql.sweep, { now: timestamp.encode(token.created_at) });
    },
    async findToken(tokenHash, kind, scopeId, now) {
      const [row] = await db.all(sql.find, key(tokenHash, kind, scopeId, now));
      return row === undefined ? null : decode(oneTimeTokens, row);
    },
    async consumeToken(tokenHash, kind, scopeId, now) {
      return consumeTokenIn(db, tokenHash, kind, scopeId, now);
    },
  };
}
