import type { Account, NewAccount } from '../domain/account.js';
import type { NewAuditEvent } from '../domain/audit-event.js';
import type { AddDelegateKeyResult, DelegateKey, DelegatedAccount, KeySignatureUse } from '../domain/delegate-key.js';
import { rowsOf, type SqlDatabase } from '../sql/sql-database.js';
import { statement } from '../sql/statement.js';
import { canonical, decode, encode, integer, nullable, selectList, table, text, timestamp } from '../sql/table.js';
import { accounts } from './account-store.js';
import { auditLog, auditRows } from './audit-log-store.js';
import { uniqueKeys } from './migrations.js';

/**
 * Delegate keys: the public keys a scope lets create accounts without a passkey and act for the
 * accounts each created; which key created which account; and the key signatures already used,
 * kept until they would have expired anyway.
 */
export interface DelegateStore {
  /** Adds a key to an existing scope (with `audit`); refuses a key the scope has and more than `maxPerScope` keys. */
  addDelegateKey(key: DelegateKey, maxPerScope: number, audit?: NewAuditEvent): Promise<AddDelegateKeyResult>;
  listDelegateKeys(scopeId: string): Promise<DelegateKey[]>;
  getDelegateKey(scopeId: string, keyId: string): Promise<DelegateKey | null>;
  /**
   * Removes a key (with `audit`); false when the scope has no such key. The accounts it created
   * stay, and nothing acts for them until the same key is added again.
   */
  removeDelegateKey(scopeId: string, keyId: string, audit?: NewAuditEvent): Promise<boolean>;
  /** Creates an account without a passkey, with the key that created it and `audit`: all or nothing. */
  createDelegatedAccount(account: NewAccount, keyId: string, audit?: NewAuditEvent): Promise<{ ok: true; account: Account } | { ok: false; conflict: 'account_exists' }>;
  /** The scope's account of this (normalized) username, when the key `keyId` created it; null otherwise. */
  findDelegatedAccount(scopeId: string, username: string, keyId: string): Promise<Account | null>;
  /** Records that a key signature was used; false when it had been already. Uses that expired before `now` are swept in passing. */
  useKeySignature(use: KeySignatureUse, now: string): Promise<boolean>;
}

const delegateKeys = table<DelegateKey>('delegate_keys', {
  scope_id: text,
  key_id: text,
  public_key: text,
  name: nullable(text),
  created_at: timestamp,
});
const delegatedAccounts = table<DelegatedAccount>('delegated_accounts', { account_id: text, scope_id: text, key_id: text });
const uses = table<KeySignatureUse>('key_signature_uses', { digest: text, scope_id: text, expires_at: timestamp });
const keyColumns = delegateKeys.names.join(', ');

const sql = {
  scopeExists: statement('delegate_scope_exists', 'SELECT 1 AS found FROM scopes WHERE scope_id = :scope_id'),
  countKeys: statement('count_delegate_keys', 'SELECT count(*) AS n FROM delegate_keys WHERE scope_id = :scope_id'),
  listKeys: statement('list_delegate_keys', `SELECT ${keyColumns} FROM delegate_keys WHERE scope_id = :scope_id ORDER BY created_at, key_id`),
  getKey: statement('get_delegate_key', `SELECT ${keyColumns} FROM delegate_keys WHERE scope_id = :scope_id AND key_id = :key_id`),
  removeKey: statement('remove_delegate_key', 'DELETE FROM delegate_keys WHERE scope_id = :scope_id AND key_id = :key_id'),
  findAccount: statement(
    'find_delegated_account',
    `SELECT ${selectList(accounts, 'a')} FROM accounts a JOIN delegated_accounts d ON d.account_id = a.account_id
     WHERE a.scope_id = :scope_id AND a.username = :username AND d.key_id = :key_id`,
  ),
  use: statement('use_key_signature', 'INSERT INTO key_signature_uses (digest, scope_id, expires_at) VALUES (:digest, :scope_id, :expires_at) ON CONFLICT (digest) DO NOTHING'),
  // Bounded, so one call never pays for a backlog: every use sweeps a little.
  sweep: statement('sweep_key_signature_uses', 'DELETE FROM key_signature_uses WHERE digest IN (SELECT digest FROM key_signature_uses WHERE expires_at < :now LIMIT 100)'),
};

export function sqlDelegateStore(db: SqlDatabase): DelegateStore {
  return {
    async addDelegateKey(key, maxPerScope, audit) {
      if (!Number.isInteger(maxPerScope) || maxPerScope < 1) throw new RangeError(`maxPerScope must be a positive integer, got ${maxPerScope}`);
      try {
        // Additions queue one behind the other, so the count they check cannot change before they commit.
        return await db.transaction(async (tx): Promise<AddDelegateKeyResult> => {
          if ((await tx.all(sql.scopeExists, { scope_id: key.scope_id })).length === 0) return { ok: false, conflict: 'scope_not_found' };
          const [count] = await tx.all(sql.countKeys, { scope_id: key.scope_id });
          if (integer.decode(count?.n) >= maxPerScope) return { ok: false, conflict: 'too_many_delegate_keys' };
          await tx.run(delegateKeys.insert, encode(delegateKeys, key));
          if (audit !== undefined) await tx.run(auditLog.insert, encode(auditLog, audit));
          return { ok: true, key: canonical(delegateKeys, key) };
        }, { serialize: 'delegate_keys' });
      } catch (error) {
        if (!db.dialect.violates(error, uniqueKeys.delegateKeysPrimaryKey)) throw error;
        return { ok: false, conflict: 'delegate_key_exists' };
      }
    },

    async listDelegateKeys(scopeId) {
      return (await db.all(sql.listKeys, { scope_id: scopeId })).map((row) => decode(delegateKeys, row));
    },

    async getDelegateKey(scopeId, keyId) {
      const [row] = await db.all(sql.getKey, { scope_id: scopeId, key_id: keyId });
      return row === undefined ? null : decode(delegateKeys, row);
    },

    async removeDelegateKey(scopeId, keyId, audit) {
      return (await db.run(sql.removeKey, { scope_id: scopeId, key_id: keyId }, auditRows(audit))) > 0;
    },

    async createDelegatedAccount(account, keyId, audit) {
      const owner: DelegatedAccount = { account_id: account.account_id, scope_id: account.scope_id, key_id: keyId };
      try {
        await db.insertAll([rowsOf(accounts, [account]), rowsOf(delegatedAccounts, [owner]), ...(audit === undefined ? [] : [rowsOf(auditLog, [audit])])]);
      } catch (error) {
        if (!db.dialect.violates(error, uniqueKeys.accountsUsername)) throw error;
        return { ok: false, conflict: 'account_exists' };
      }
      return { ok: true, account: canonical(accounts, account) };
    },

    async findDelegatedAccount(scopeId, username, keyId) {
      const [row] = await db.all(sql.findAccount, { scope_id: scopeId, username, key_id: keyId });
      return row === undefined ? null : decode(accounts, row, 'a_');
    },

    async useKeySignature(use, now) {
      const recorded = (await db.run(sql.use, encode(uses, use))) > 0;
      await db.run(sql.sweep, { now: timestamp.encode(now) });
      return recorded;
    },
  };
}
