/**
 * Row <-> domain mapping shared by the SQLite and PostgreSQL stores, so both return identical
 * objects for the same input. Drivers differ in what they hand back (pg: Date, boolean, bigint as
 * string; better-sqlite3: text, 0/1, number); the row types admit both and the mappers normalize.
 */
import type { Account, Credential, CredentialShape, SignInRecord } from '../domain/account.js';
import type { SessionState } from './account-store.js';
import type { NewScope, Scope, ScopeUpdate } from '../domain/scope.js';
import type { AuditEvent, NewAuditEvent } from '../domain/audit-event.js';

type SqlTimestamp = string | Date;
type SqlBoolean = boolean | number;
type SqlInteger = number | string | bigint;

export interface ScopeRow {
  scope_id: string;
  name: string;
  rp_id: string;
  rp_name: string;
  origins: string;
  user_verification: Scope['user_verification'];
  attestation: Scope['attestation'];
  resident_key: Scope['resident_key'];
  timeout_ms: SqlInteger;
  algorithms: string;
  session_ttl: SqlInteger;
  rate_limit_ip_per_minute: SqlInteger | null;
  rate_limit_user_per_minute: SqlInteger | null;
  reauth_window_s: SqlInteger;
  backup_eligibility_change: Scope['backup_eligibility_change'];
  created_at: SqlTimestamp;
  updated_at: SqlTimestamp;
}

export interface AccountRow {
  account_id: string;
  scope_id: string;
  username: string;
  display_name: string;
  user_handle: string;
  identifier_hash: string;
  /** Null on accounts created before migration 2 (and possibly before keys were derived). */
  public_key: string | null;
  address: string | null;
  disabled: SqlBoolean;
  created_at: SqlTimestamp;
}

export interface CredentialRow {
  credential_id: string;
  account_id: string;
  scope_id: string;
  public_key: string;
  algorithm: SqlInteger;
  counter: SqlInteger;
  transports: string;
  aaguid: string;
  device_type: Credential['device_type'];
  backed_up: SqlBoolean;
  created_at: SqlTimestamp;
  last_used_at: SqlTimestamp | null;
  name: string | null;
  possibly_cloned: SqlBoolean;
}

/** sessionState's row: the account plus what decides whether a session of it still holds. */
export type SessionStateRow = AccountRow & {
  credential_created_at: SqlTimestamp | null;
  revoked: SqlBoolean;
  sessions_valid_after: SqlTimestamp | null;
};

export function toSessionState(row: SessionStateRow): SessionState {
  return {
    account: toAccount(row),
    credential_created_at: row.credential_created_at === null ? null : toIso(row.credential_created_at),
    revoked: Boolean(row.revoked),
    sessions_valid_after: row.sessions_valid_after === null ? null : toIso(row.sessions_valid_after),
  };
}

export interface AuditRow {
  event_id: SqlInteger;
  scope_id: string;
  occurred_at: SqlTimestamp;
  event: AuditEvent['event'];
  account_id: string | null;
  credential_id: string | null;
  reason: string | null;
  client_ip: string | null;
  request_id: string | null;
}

/** One passkey of credentialShapes: its account, the length of its id without padding, its transports. */
export interface CredentialShapeRow {
  account_id: string;
  id_chars: SqlInteger;
  transports: string;
}

/**
 * Column lists for SELECT and RETURNING. Explicit rather than `*`, so a later migration adding a
 * column cannot break statements already prepared by running processes.
 */
export const columnLists = {
  scopes:
    'scope_id, name, rp_id, rp_name, origins, user_verification, attestation, resident_key, timeout_ms, algorithms, session_ttl, rate_limit_ip_per_minute, rate_limit_user_per_minute, reauth_window_s, backup_eligibility_change, created_at, updated_at',
  accounts:
    'account_id, scope_id, username, display_name, user_handle, identifier_hash, public_key, address, disabled, created_at',
  credentials:
    'credential_id, account_id, scope_id, public_key, algorithm, counter, transports, aaguid, device_type, backed_up, created_at, last_used_at, name, possibly_cloned',
  audit: 'event_id, scope_id, occurred_at, event, account_id, credential_id, reason, client_ip, request_id',
} as const;

/** A row's columns renamed with a prefix, as a join returns them. */
type Prefixed<Row, P extends string> = { [K in keyof Row & string as `${P}${K}`]: Row[K] };
type Nullable<Row> = { [K in keyof Row]: Row[K] | null };

/** One credential joined with its account (findCredentialWithAccount). */
export type CredentialAccountRow = Prefixed<CredentialRow, 'c_'> & Prefixed<AccountRow, 'a_'>;
/** An account left-joined with one of its credentials, or with nulls when it has none. */
export type AccountCredentialRow = Prefixed<AccountRow, 'a_'> & Nullable<Prefixed<CredentialRow, 'c_'>>;

/**
 * Select lists for joins of accounts (alias a) and credentials (alias c). Both tables have
 * account_id, scope_id, public_key and created_at, so every column gets its table's prefix.
 */
export const joinColumnLists = {
  accounts: prefixedColumns('a', columnLists.accounts),
  credentials: prefixedColumns('c', columnLists.credentials),
  /** The account columns under their own names, from alias a (a query with one account row). */
  accountsQualified: columnLists.accounts
    .split(', ')
    .map((column) => `a.${column}`)
    .join(', '),
} as const;

const accountColumnNames = columnLists.accounts.split(', ');
const credentialColumnNames = columnLists.credentials.split(', ');

function prefixedColumns(alias: 'a' | 'c', columns: string): string {
  return columns
    .split(', ')
    .map((column) => `${alias}.${column} AS ${alias}_${column}`)
    .join(', ');
}

/** The columns of one table out of a joined row, with their prefix removed. */
function unprefixed<Row>(row: object, alias: 'a' | 'c', columns: readonly string[]): Row {
  const fields = row as Record<string, unknown>;
  return Object.fromEntries(columns.map((column) => [column, fields[`${alias}_${column}`]])) as Row;
}

export function toCredentialWithAccount(row: CredentialAccountRow): { credential: Credential; account: Account } {
  return {
    credential: toCredential(unprefixed<CredentialRow>(row, 'c', credentialColumnNames)),
    account: toAccount(unprefixed<AccountRow>(row, 'a', accountColumnNames)),
  };
}

/** Rows of one account's LEFT JOIN (already in credential order); null when there are none. */
export function toAccountWithCredentials(rows: AccountCredentialRow[]): { account: Account; credentials: Credential[] } | null {
  const first = rows[0];
  if (first === undefined) return null;
  // An account without credentials comes back as a single row of null credential columns.
  const credentials = rows
    .filter((row) => row.c_credential_id !== null)
    .map((row) => toCredential(unprefixed<CredentialRow>(row, 'c', credentialColumnNames)));
  return { account: toAccount(unprefixed<AccountRow>(first, 'a', accountColumnNames)), credentials };
}

/**
 * credentialShapes rows (one account's passkeys together, in order) as one list per account.
 * Credential ids are stored as base64url, so n characters without padding hold floor(3n/4) bytes.
 */
export function toCredentialShapes(rows: CredentialShapeRow[]): CredentialShape[][] {
  const accounts: CredentialShape[][] = [];
  let previous: string | undefined;
  for (const row of rows) {
    if (row.account_id !== previous) accounts.push([]);
    previous = row.account_id;
    accounts[accounts.length - 1]!.push({
      id_length: Math.floor((Number(row.id_chars) * 3) / 4),
      transports: parseArray(row.transports, isString, 'credentials.transports'),
    });
  }
  return accounts;
}

/** The columns auditInsertValues fills, in its order (event_id is numbered by the database). */
export const auditInsertColumns = columnLists.audit.replace(/^event_id, /, '');

/** Insert order of an audit event's columns (event_id is numbered by the database). */
export function auditInsertValues(event: NewAuditEvent): Array<string | null> {
  return [
    event.scope_id,
    canonicalTimestamp(event.occurred_at),
    event.event,
    event.account_id,
    event.credential_id,
    event.reason,
    event.client_ip,
    event.request_id,
  ];
}

export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    event_id: Number(row.event_id),
    scope_id: row.scope_id,
    occurred_at: toIso(row.occurred_at),
    event: row.event,
    account_id: row.account_id,
    credential_id: row.credential_id,
    reason: row.reason,
    client_ip: row.client_ip,
    request_id: row.request_id,
  };
}

/**
 * The revision a scope write stores. Unique because both stores serialize scope writes (SQLite's
 * write lock; an advisory lock in PostgreSQL) before this subquery reads max(revision).
 */
export const nextScopeRevision = '(SELECT coalesce(max(revision), 0) + 1 FROM scopes)';

/** Scope columns a caller may change, in a fixed order; update keys outside this list are ignored. */
export const updatableScopeColumns = [
  'name',
  'rp_id',
  'rp_name',
  'origins',
  'user_verification',
  'attestation',
  'resident_key',
  'timeout_ms',
  'algorithms',
  'session_ttl',
  'rate_limit_ip_per_minute',
  'rate_limit_user_per_minute',
  'reauth_window_s',
  'backup_eligibility_change',
] as const satisfies ReadonlyArray<keyof ScopeUpdate>;

export type ScopeColumnValue = string | number | null;

const nullableScopeColumns = new Set<UpdatableScopeColumn>(['rate_limit_ip_per_minute', 'rate_limit_user_per_minute']);

/**
 * Canonical ISO-8601 (`YYYY-MM-DDTHH:mm:ss.sssZ`) for a caller-supplied timestamp. Both backends
 * store this form, which also makes SQLite's text timestamps sort chronologically.
 */
export function canonicalTimestamp(value: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not an ISO-8601 timestamp: ${value}`);
  return date.toISOString();
}

/** canonicalTimestamp for nullable columns. */
export function canonicalTimestampOrNull(value: string | null): string | null {
  return value === null ? null : canonicalTimestamp(value);
}

/** Refuses a credential limit that would make addCredential meaningless (caller bug, not a conflict). */
export function assertValidCredentialLimit(maxPerAccount: number): void {
  if (!Number.isInteger(maxPerAccount) || maxPerAccount < 1) {
    throw new RangeError(`maxPerAccount must be a positive integer, got ${maxPerAccount}`);
  }
}

/** Refuses a sample size SQL would read otherwise (SQLite takes a negative LIMIT as none). */
export function assertValidSampleLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
}

export type UpdatableScopeColumn = (typeof updatableScopeColumns)[number];

/**
 * SQL values for the scope columns present in `fields` (arrays become JSON text), in the fixed
 * column order. Only whitelisted column names ever reach SQL text.
 */
export function scopeColumnValues(fields: ScopeUpdate): Array<[UpdatableScopeColumn, ScopeColumnValue]> {
  const values: Record<UpdatableScopeColumn, ScopeColumnValue | undefined> = {
    name: fields.name,
    rp_id: fields.rp_id,
    rp_name: fields.rp_name,
    origins: fields.origins === undefined ? undefined : JSON.stringify(fields.origins),
    user_verification: fields.user_verification,
    attestation: fields.attestation,
    resident_key: fields.resident_key,
    timeout_ms: fields.timeout_ms,
    algorithms: fields.algorithms === undefined ? undefined : JSON.stringify(fields.algorithms),
    session_ttl: fields.session_ttl,
    rate_limit_ip_per_minute: fields.rate_limit_ip_per_minute,
    rate_limit_user_per_minute: fields.rate_limit_user_per_minute,
    reauth_window_s: fields.reauth_window_s,
    backup_eligibility_change: fields.backup_eligibility_change,
  };
  return updatableScopeColumns.flatMap((column): Array<[UpdatableScopeColumn, ScopeColumnValue]> => {
    const value = values[column];
    return value === undefined ? [] : [[column, value]];
  });
}

/** Values for every updatable column, in `updatableScopeColumns` order, for an INSERT. */
export function scopeInsertValues(scope: NewScope): ScopeColumnValue[] {
  const values = new Map(scopeColumnValues(scope));
  return updatableScopeColumns.map((column) => {
    const value = values.get(column);
    if (value !== undefined) return value;
    // Optional settings: absent means "use the gateway default".
    if (nullableScopeColumns.has(column)) return null;
    throw new TypeError(`scope.${column} is required`);
  });
}

export function toScope(row: ScopeRow): Scope {
  return {
    scope_id: row.scope_id,
    name: row.name,
    rp_id: row.rp_id,
    rp_name: row.rp_name,
    origins: parseArray(row.origins, isString, 'scopes.origins'),
    user_verification: row.user_verification,
    attestation: row.attestation,
    resident_key: row.resident_key,
    timeout_ms: Number(row.timeout_ms),
    algorithms: parseArray(row.algorithms, isNumber, 'scopes.algorithms'),
    session_ttl: Number(row.session_ttl),
    rate_limit_ip_per_minute: row.rate_limit_ip_per_minute === null ? null : Number(row.rate_limit_ip_per_minute),
    rate_limit_user_per_minute: row.rate_limit_user_per_minute === null ? null : Number(row.rate_limit_user_per_minute),
    reauth_window_s: Number(row.reauth_window_s),
    backup_eligibility_change: row.backup_eligibility_change,
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

export function toAccount(row: AccountRow): Account {
  return {
    account_id: row.account_id,
    scope_id: row.scope_id,
    username: row.username,
    display_name: row.display_name,
    user_handle: row.user_handle,
    identifier_hash: row.identifier_hash,
    public_key: row.public_key ?? '',
    address: row.address ?? '',
    disabled: Boolean(row.disabled),
    created_at: toIso(row.created_at),
  };
}

export function toCredential(row: CredentialRow): Credential {
  return {
    credential_id: row.credential_id,
    account_id: row.account_id,
    scope_id: row.scope_id,
    public_key: row.public_key,
    algorithm: Number(row.algorithm),
    counter: Number(row.counter),
    transports: parseArray(row.transports, isString, 'credentials.transports'),
    aaguid: row.aaguid,
    device_type: row.device_type,
    backed_up: Boolean(row.backed_up),
    created_at: toIso(row.created_at),
    last_used_at: row.last_used_at === null ? null : toIso(row.last_used_at),
    name: row.name,
    possibly_cloned: Boolean(row.possibly_cloned),
  };
}

function toIso(value: SqlTimestamp): string {
  return value instanceof Date ? value.toISOString() : value;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number';
}

/** JSON columns are ours to write, but a hand-edited row should fail loudly, not leak `any`. */
function parseArray<T>(text: string, isItem: (value: unknown) => value is T, column: string): T[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every(isItem)) {
    throw new TypeError(`column ${column} does not hold the expected JSON array`);
  }
  return parsed;
}

/**
 * Whether a sign-in's new counter shows the key may be cloned (WebAuthn L3 §7.2, signCount step):
 * either counter is non-zero and the new one is not greater. A counter of 0 forever (synced
 * passkeys) is fine; a drop to 0 from a non-zero counter is not.
 */
export function counterRegressed(stored: number, received: number): boolean {
  return (stored > 0 || received > 0) && received <= stored;
}

/**
 * Why a verified sign-in was not recorded, from the credential's current row (undefined when the
 * account no longer holds it). A row that would now pass changed between write and read: gone.
 */
export function signInRefusal(current: { counter: number; disabled: boolean } | undefined, received: number): SignInRecord {
  if (current === undefined) return 'not_found';
  if (current.disabled) return 'account_disabled';
  return counterRegressed(current.counter, received) ? 'counter_regression' : 'not_found';
}
