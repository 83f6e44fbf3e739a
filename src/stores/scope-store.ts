import { attestationSchema, backupEligibilityChangeSchema, backupEligibilitySchema, hintSchema, recoveryCodesSchema, residentKeySchema, secondFactorSessionsSchema, userVerificationSchema, walletSchema, type NewScope, type Scope, type ScopeUpdate } from '../domain/scope.js';
import type { SqlDatabase } from '../sql/sql-database.js';
import { statement } from '../sql/statement.js';
import { canonical, decode, encode, encodeField, integer, jsonArray, nullable, numbers, oneOf, strings, table, text, timestamp } from '../sql/table.js';

/** The scopes: every relying party the gateway serves, with its WebAuthn policy. */
export interface ScopeStore {
  createScope(scope: NewScope): Promise<Scope>;
  /** Changes the given settings (keys outside the scope's settings are ignored); null when there is no such scope. */
  updateScope(scopeId: string, update: ScopeUpdate): Promise<Scope | null>;
  getScope(scopeId: string): Promise<Scope | null>;
  listScopes(): Promise<Scope[]>;
  /** An opaque marker that changes on every scope create or update (null when there are none), so servers can poll cheaply. */
  scopesVersion(): Promise<string | null>;
}

const scopes = table<Scope>('scopes', {
  scope_id: text,
  name: text,
  rp_id: text,
  rp_name: text,
  origins: strings,
  user_verification: oneOf(userVerificationSchema.options),
  attestation: oneOf(attestationSchema.options),
  resident_key: oneOf(residentKeySchema.options),
  timeout_ms: integer,
  algorithms: numbers,
  session_ttl: integer,
  // Null: the gateway's configured default.
  rate_limit_ip_per_minute: nullable(integer),
  rate_limit_user_per_minute: nullable(integer),
  reauth_window_s: integer,
  backup_eligibility_change: oneOf(backupEligibilityChangeSchema.options),
  backup_eligibility: oneOf(backupEligibilitySchema.options),
  hints: jsonArray((item) => hintSchema.options.includes(item as never)),
  top_origins: strings,
  aaguid_allow: strings,
  aaguid_deny: strings,
  wallet: oneOf(walletSchema.options),
  // Null: any chain.
  allowed_chain_ids: nullable(numbers),
  signing_window_s: integer,
  rate_limit_signing_per_minute: nullable(integer),
  recovery_codes: oneOf(recoveryCodesSchema.options),
  second_factor_sessions: oneOf(secondFactorSessionsSchema.options),
  created_at: timestamp,
  updated_at: timestamp,
});
const columns = scopes.names.join(', ');
const settings = scopes.names.filter((name): name is keyof ScopeUpdate => !['scope_id', 'created_at', 'updated_at'].includes(name));
// Unique, and growing in commit order, because scope writes are serialized (see createScope) before it reads max(revision).
const nextRevision = '(SELECT coalesce(max(revision), 0) + 1 FROM scopes)';

const sql = {
  insert: statement('insert_scope', `INSERT INTO scopes (${columns}, revision) VALUES (${scopes.names.map((name) => `:${name}`).join(', ')}, ${nextRevision})`),
  // One statement for any update: a setting given takes its parameter, the others keep their value.
  update: statement(
    'update_scope',
    `UPDATE scopes SET ${settings.map((name) => `${name} = CASE WHEN :set_${name}::boolean THEN :${name} ELSE ${name} END`).join(', ')},
       updated_at = :updated_at, revision = ${nextRevision} WHERE scope_id = :scope_id RETURNING ${columns}`,
  ),
  get: statement('get_scope', `SELECT ${columns} FROM scopes WHERE scope_id = :scope_id`),
  list: statement('list_scopes', `SELECT ${columns} FROM scopes ORDER BY created_at, scope_id`),
  version: statement('scopes_version', 'SELECT count(*) AS n, max(revision) AS r FROM scopes'),
};

export function sqlScopeStore(db: SqlDatabase): ScopeStore {
  return {
    async createScope(scope) {
      const now = new Date().toISOString();
      const created = { ...scope, created_at: now, updated_at: now };
      // Scope writes queue one behind the other, so a poller never sees revision N+1 committed before N.
      await db.transaction((tx) => tx.run(sql.insert, encode(scopes, created)), { serialize: 'scopes' });
      return canonical(scopes, created);
    },
    async updateScope(scopeId, update) {
      const params: Record<string, string | number | boolean | null> = { scope_id: scopeId, updated_at: new Date().toISOString() };
      for (const name of settings) {
        const value = update[name];
        params[`set_${name}`] = value !== undefined;
        params[name] = value === undefined ? null : encodeField(scopes, name, value);
      }
      const [row] = await db.transaction((tx) => tx.all(sql.update, params), { serialize: 'scopes' });
      return row === undefined ? null : decode(scopes, row);
    },
    async getScope(scopeId) {
      const [row] = await db.all(sql.get, { scope_id: scopeId });
      return row === undefined ? null : decode(scopes, row);
    },
    async listScopes() {
      return (await db.all(sql.list)).map((row) => decode(scopes, row));
    },
    async scopesVersion() {
      const [row] = await db.all(sql.version);
      const count = integer.decode(row?.n);
      return count === 0 ? null : `${count}:${String(row?.r)}`;
    },
  };
}
