import type { NewAuditEvent } from '../domain/audit-event.js';
import type { SqlDatabase, SqlExecutor } from '../sql/sql-database.js';
import { statement } from '../sql/statement.js';
import { encode, integer, table, text, timestamp } from '../sql/table.js';
import { auditLog } from './audit-log-store.js';

/** One stored recovery code: its keyed hash only (see identity/recovery-codes.ts). */
export interface RecoveryCodeRow {
  account_id: string;
  code_hash: string;
  created_at: string;
}

/**
 * An account's recovery codes. A code is used by deleting its row, so of two concurrent uses one
 * succeeds; replacing the set deletes every old code in the same transaction.
 */
export interface RecoveryCodeStore {
  /** Replaces the account's codes with these hashes (with `audit`); false when there is no such account in the scope. */
  replaceRecoveryCodes(scopeId: string, accountId: string, codeHashes: readonly string[], now: string, audit?: NewAuditEvent): Promise<boolean>;
  /** Uses one code: how many remain when this call deleted it, null when the account holds no such code. */
  useRecoveryCode(accountId: string, codeHash: string, audit?: NewAuditEvent): Promise<number | null>;
  /** How many unused codes the account holds. */
  countRecoveryCodes(accountId: string): Promise<number>;
}

export const recoveryCodes = table<RecoveryCodeRow>('recovery_codes', { account_id: text, code_hash: text, created_at: timestamp });

const sql = {
  lockAccount: statement('recovery_lock_account', (d) => `SELECT scope_id FROM accounts WHERE account_id = :account_id ${d.forUpdate}`),
  deleteAll: statement('delete_recovery_codes', 'DELETE FROM recovery_codes WHERE account_id = :account_id'),
  deleteOne: statement('use_recovery_code', 'DELETE FROM recovery_codes WHERE account_id = :account_id AND code_hash = :code_hash'),
  count: statement('count_recovery_codes', 'SELECT count(*) AS n FROM recovery_codes WHERE account_id = :account_id'),
};

// A set of codes is written by one statement of ten rows (a registration's round trips are its
// cost: ten single-row inserts doubled the server's and PostgreSQL's CPU per registration).
const BATCH = 10;
const insertBatch = statement(
  `insert_recovery_codes_${BATCH}`,
  `INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES ${Array.from({ length: BATCH }, (_, i) => `(:account_id, :code_hash_${i}, :created_at)`).join(', ')}`,
);

/** Inserts an account's codes inside a caller's transaction (account creation writes its first set with it). */
export async function insertRecoveryCodesIn(tx: SqlExecutor, accountId: string, codeHashes: readonly string[], now: string): Promise<void> {
  const row = (code_hash: string) => encode(recoveryCodes, { account_id: accountId, code_hash, created_at: now });
  let next = 0;
  for (; next + BATCH <= codeHashes.length; next += BATCH) {
    const params = row(codeHashes[next]!);
    for (let i = 0; i < BATCH; i += 1) params[`code_hash_${i}`] = codeHashes[next + i]!;
    await tx.run(insertBatch, params);
  }
  for (const code_hash of codeHashes.slice(next)) await tx.run(recoveryCodes.insert, row(code_hash));
}

export function sqlRecoveryCodeStore(db: SqlDatabase): RecoveryCodeStore {
  return {
    async replaceRecoveryCodes(scopeId, accountId, codeHashes, now, audit) {
      return db.transaction(async (tx) => {
        const [owner] = await tx.all(sql.lockAccount, { account_id: accountId });
        if (owner?.scope_id !== scopeId) return false;
        await tx.run(sql.deleteAll, { account_id: accountId });
        await insertRecoveryCodesIn(tx, accountId, codeHashes, now);
        if (audit !== undefined) await tx.run(auditLog.insert, encode(auditLog, audit));
        return true;
      });
    },
    async useRecoveryCode(accountId, codeHash, audit) {
      return db.transaction(async (tx) => {
        if ((await tx.run(sql.deleteOne, { account_id: accountId, code_hash: codeHash })) === 0) return null;
        if (audit !== undefined) await tx.run(auditLog.insert, encode(auditLog, audit));
        const [row] = await tx.all(sql.count, { account_id: accountId });
        return integer.decode(row?.n);
      });
    },
    async countRecoveryCodes(accountId) {
      const [row] = await db.all(sql.count, { account_id: accountId });
      return integer.decode(row?.n);
    },
  };
}
