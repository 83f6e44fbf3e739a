import type { ApiKey, CreateApiKeyResult } from '../domain/api-key.js';
import type { NewAuditEvent } from '../domain/audit-event.js';
import type { SqlDatabase } from '../sql/sql-database.js';
import { statement } from '../sql/statement.js';
import { canonical, decode, encode, integer, nullable, table, text, timestamp } from '../sql/table.js';
import { auditLog, auditRows } from './audit-log-store.js';

/**
 * Server API keys, by scope. Only the hash of each secret is stored; a server call finds its key
 * by that hash. Revoking keeps the row (with revoked_at) so the audit log's key ids still resolve.
 */
export interface ApiKeyStore {
  /**
   * Adds a key to an existing scope (with `audit`); refuses more than `maxPerScope` working keys.
   * Secret hashes are unique: a collision of 256-bit random secrets does not happen, and would throw.
   */
  createApiKey(key: ApiKey, maxPerScope: number, audit?: NewAuditEvent): Promise<CreateApiKeyResult>;
  /** The scope's keys, revoked ones too, oldest first. */
  listApiKeys(scopeId: string): Promise<ApiKey[]>;
  /** The working (not revoked) key with this secret hash; null for an unknown or revoked one alike. */
  findActiveApiKey(secretHash: string): Promise<ApiKey | null>;
  /** Revokes a working key of the scope at `revokedAt` (with `audit`); false when the scope has no such working key. */
  revokeApiKey(scopeId: string, keyId: string, revokedAt: string, audit?: NewAuditEvent): Promise<boolean>;
}

export const apiKeys = table<ApiKey>('api_keys', {
  key_id: text,
  scope_id: text,
  name: text,
  secret_hash: text,
  created_at: timestamp,
  revoked_at: nullable(timestamp),
});
const columns = apiKeys.names.join(', ');

const sql = {
  scopeExists: statement('api_key_scope_exists', 'SELECT 1 AS found FROM scopes WHERE scope_id = :scope_id'),
  countActive: statement('count_api_keys', 'SELECT count(*) AS n FROM api_keys WHERE scope_id = :scope_id AND revoked_at IS NULL'),
  list: statement('list_api_keys', `SELECT ${columns} FROM api_keys WHERE scope_id = :scope_id ORDER BY created_at, key_id`),
  findActive: statement('find_active_api_key', `SELECT ${columns} FROM api_keys WHERE secret_hash = :secret_hash AND revoked_at IS NULL`),
  revoke: statement('revoke_api_key', 'UPDATE api_keys SET revoked_at = :revoked_at WHERE scope_id = :scope_id AND key_id = :key_id AND revoked_at IS NULL'),
};

export function sqlApiKeyStore(db: SqlDatabase): ApiKeyStore {
  return {
    async createApiKey(key, maxPerScope, audit) {
      if (!Number.isInteger(maxPerScope) || maxPerScope < 1) throw new RangeError(`maxPerScope must be a positive integer, got ${maxPerScope}`);
      // Creations queue one behind the other, so the count they check cannot change before they commit.
      return db.transaction(async (tx): Promise<CreateApiKeyResult> => {
        if ((await tx.all(sql.scopeExists, { scope_id: key.scope_id })).length === 0) return { ok: false, conflict: 'scope_not_found' };
        const [count] = await tx.all(sql.countActive, { scope_id: key.scope_id });
        if (integer.decode(count?.n) >= maxPerScope) return { ok: false, conflict: 'too_many_api_keys' };
        await tx.run(apiKeys.insert, encode(apiKeys, key));
        if (audit !== undefined) await tx.run(auditLog.insert, encode(auditLog, audit));
        return { ok: true, key: canonical(apiKeys, key) };
      }, { serialize: 'api_keys' });
    },

    async listApiKeys(scopeId) {
      return (await db.all(sql.list, { scope_id: scopeId })).map((row) => decode(apiKeys, row));
    },

    async findActiveApiKey(secretHash) {
      const [row] = await db.all(sql.findActive, { secret_hash: secretHash });
      return row === undefined ? null : decode(apiKeys, row);
    },

    async revokeApiKey(scopeId, keyId, revokedAt, audit) {
      return (await db.run(sql.revoke, { scope_id: scopeId, key_id: keyId, revoked_at: timestamp.encode(revokedAt) }, auditRows(audit))) > 0;
    },
  };
}
