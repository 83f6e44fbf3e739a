/**
 * Schema for both SQL backends. The DDL text is shared; the dialects differ in two column types
 * (timestamps, self-numbered keys: see dialect.ts), in migration 4, which changes PostgreSQL only,
 * and in the collation of migration 6's key. SQLite (>= 3.23) accepts `boolean` columns and
 * `true`/`false` literals, storing them as 0/1.
 * Migrations are append-only: never edit an applied one, add a new id instead.
 */
import type { Dialect, UniqueKey } from '../sql/dialect.js';
import type { Migration } from '../sql/migration.js';

/** The unique rules whose violations the stores report as conflicts, as the migrations name them. */
export const uniqueKeys = {
  accountsUsername: { name: 'accounts_scope_username_key', table: 'accounts', columns: ['scope_id', 'username'] },
  credentialsPrimaryKey: { name: 'credentials_pkey', table: 'credentials', columns: ['scope_id', 'credential_id'] },
  delegateKeysPrimaryKey: { name: 'delegate_keys_pkey', table: 'delegate_keys', columns: ['scope_id', 'key_id'] },
  apiKeysSecretHash: { name: 'api_keys_secret_hash_key', table: 'api_keys', columns: ['secret_hash'] },
  // Leads with the looked-up column, as migration 4 made the other account keys do.
  accountsUserId: { name: 'accounts_user_id_scope_key', table: 'accounts', columns: ['user_id', 'scope_id'] },
} as const satisfies Record<string, UniqueKey>;

/** The gateway's tables, oldest first; each database applies those it has not yet. */
export const migrations: readonly Migration[] = [
  {
    id: 1,
    name: 'scopes_accounts_credentials',
    sql: (t: Dialect) => `
CREATE TABLE scopes (
  scope_id          text PRIMARY KEY,
  name              text NOT NULL,
  rp_id             text NOT NULL,
  rp_name           text NOT NULL,
  origins           text NOT NULL,
  user_verification text NOT NULL,
  attestation       text NOT NULL,
  resident_key      text NOT NULL,
  timeout_ms        integer NOT NULL,
  algorithms        text NOT NULL,
  created_at        ${t.timestamp} NOT NULL,
  updated_at        ${t.timestamp} NOT NULL,
  -- Bumped on every write, so scopesVersion() changes even for two writes in one millisecond.
  revision          bigint NOT NULL
);
CREATE UNIQUE INDEX scopes_revision_key ON scopes (revision);

CREATE TABLE accounts (
  account_id      text PRIMARY KEY,
  scope_id        text NOT NULL REFERENCES scopes (scope_id),
  username        text NOT NULL,
  display_name    text NOT NULL,
  user_handle     text NOT NULL,
  identifier_hash text NOT NULL,
  created_at      ${t.timestamp} NOT NULL,
  disabled        boolean NOT NULL DEFAULT false,
  public_key      text,
  CONSTRAINT ${uniqueKeys.accountsUsername.name} UNIQUE (scope_id, username),
  CONSTRAINT accounts_scope_user_handle_key UNIQUE (scope_id, user_handle)
);

CREATE TABLE credentials (
  credential_id   text NOT NULL,
  scope_id        text NOT NULL REFERENCES scopes (scope_id),
  account_id      text NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
  public_key      text NOT NULL,
  algorithm       integer NOT NULL,
  counter         bigint NOT NULL DEFAULT 0,
  transports      text NOT NULL DEFAULT '[]',
  aaguid          text NOT NULL,
  device_type     text NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
  backed_up       boolean NOT NULL,
  created_at      ${t.timestamp} NOT NULL,
  last_used_at    ${t.timestamp},
  name            text,
  possibly_cloned boolean NOT NULL DEFAULT false,
  CONSTRAINT ${uniqueKeys.credentialsPrimaryKey.name} PRIMARY KEY (scope_id, credential_id)
);
CREATE INDEX credentials_account_id_idx ON credentials (account_id);
`,
  },
  {
    id: 2,
    name: 'scope_session_ttl_account_address',
    // Accounts created before this migration keep a null address (and may have a null
    // public_key); the stores read both as ''.
    sql: () => `
ALTER TABLE scopes ADD COLUMN session_ttl integer NOT NULL DEFAULT 3600;
ALTER TABLE accounts ADD COLUMN address text;
`,
  },
  {
    id: 3,
    name: 'audit_log_scope_rate_limits',
    // Rate limits: null means the gateway's configured default. The audit log is only ever
    // inserted into and read (the stores offer no update or delete); event_id orders it.
    sql: (t: Dialect) => `
ALTER TABLE scopes ADD COLUMN rate_limit_ip_per_minute integer;
ALTER TABLE scopes ADD COLUMN rate_limit_user_per_minute integer;

CREATE TABLE audit_log (
  event_id      ${t.serialKey},
  scope_id      text NOT NULL,
  occurred_at   ${t.timestamp} NOT NULL,
  event         text NOT NULL,
  account_id    text,
  credential_id text,
  reason        text,
  client_ip     text,
  request_id    text
);
CREATE INDEX audit_log_scope_idx ON audit_log (scope_id, event_id);
`,
  },
  {
    id: 4,
    name: 'account_keys_lead_with_looked_up_column',
    // Both unique keys of accounts led with scope_id, which every account of a scope shares, so a
    // prepared lookup by username could be planned on the user-handle key (a young table has no
    // statistics to tell them apart) and read every account of the scope. Leading with the
    // looked-up column leaves one way to plan it. SQLite already picks the key whose columns the
    // query binds all by equality, and cannot drop a table's inline constraints: it keeps its keys.
    sql: (d: Dialect) =>
      d.name === 'postgres'
        ? `
ALTER TABLE accounts
  DROP CONSTRAINT ${uniqueKeys.accountsUsername.name},
  DROP CONSTRAINT accounts_scope_user_handle_key,
  ADD CONSTRAINT ${uniqueKeys.accountsUsername.name} UNIQUE (username, scope_id),
  ADD CONSTRAINT accounts_scope_user_handle_key UNIQUE (user_handle, scope_id);
`
        : '-- unchanged on SQLite (see migrations.ts)',
  },
  {
    id: 5,
    name: 'session_revocations_reauth_backup_policy',
    // Revoked sessions live here, not in the challenge store: nothing evicts a row before the
    // session it names would have expired (expires_at), whatever else floods the gateway.
    // sessions_valid_after ends every session of an account issued before it (null: none ended).
    sql: (t: Dialect) => `
ALTER TABLE scopes ADD COLUMN reauth_window_s integer NOT NULL DEFAULT 300;
ALTER TABLE scopes ADD COLUMN backup_eligibility_change text NOT NULL DEFAULT 'allowed';
ALTER TABLE accounts ADD COLUMN sessions_valid_after ${t.timestamp};

CREATE TABLE revoked_sessions (
  jti        text PRIMARY KEY,
  account_id text NOT NULL,
  expires_at ${t.timestamp} NOT NULL
);
CREATE INDEX revoked_sessions_expires_at_idx ON revoked_sessions (expires_at);
`,
  },
  {
    id: 6,
    name: 'accounts_by_scope_and_creation',
    // Unknown-user answers are drawn from the passkeys of a scope's newest accounts
    // (credentialShapes); without a key on (scope, creation) that read sorts every account of the
    // scope. On PostgreSQL a key leading with scope_id would bring back what migration 4 removed:
    // a generic plan for a lookup by username may pick it on a young table. In collation "C" the
    // key serves only a comparison made in that collation, which credentialShapes alone asks for
    // (scope ids are UUIDs, which compare the same in either). SQLite needs no such care.
    sql: (d: Dialect) =>
      d.name === 'postgres'
        ? `
CREATE INDEX accounts_scope_created_idx ON accounts (scope_id COLLATE "C", created_at, account_id);
`
        : `
CREATE INDEX accounts_scope_created_idx ON accounts (scope_id, created_at, account_id);
`,
  },
  {
    id: 7,
    name: 'webauthn_level_3_and_authenticator_trust',
    // Scope policies of WebAuthn Level 3 and attestation (lists as JSON text, like origins), and
    // what registration learns of a passkey: the client's credProps.rk (null: not reported), its
    // authenticatorAttachment (null: not reported), and whether its attestation was verified to a
    // trust anchor (passkeys registered before this migration were not).
    sql: () => `
ALTER TABLE scopes ADD COLUMN backup_eligibility text NOT NULL DEFAULT 'any';
ALTER TABLE scopes ADD COLUMN hints text NOT NULL DEFAULT '[]';
ALTER TABLE scopes ADD COLUMN top_origins text NOT NULL DEFAULT '[]';
ALTER TABLE scopes ADD COLUMN aaguid_allow text NOT NULL DEFAULT '[]';
ALTER TABLE scopes ADD COLUMN aaguid_deny text NOT NULL DEFAULT '[]';
ALTER TABLE credentials ADD COLUMN discoverable boolean;
ALTER TABLE credentials ADD COLUMN authenticator_attachment text;
ALTER TABLE credentials ADD COLUMN attestation_verified boolean NOT NULL DEFAULT false;
`,
  },
  {
    id: 8,
    name: 'wallet_delegate_keys',
    // The wallet settings of scopes (off for every scope until turned on); the audit columns of
    // signatures and delegate keys. Delegate keys belong to a scope; delegated_accounts says which
    // key created an account (the only key that may act for it). key_signature_uses holds each
    // accepted key signature until it would have expired anyway, like revoked_sessions: nothing
    // evicts a row early, whatever else floods the gateway.
    sql: (t: Dialect) => `
ALTER TABLE scopes ADD COLUMN wallet text NOT NULL DEFAULT 'off';
ALTER TABLE scopes ADD COLUMN allowed_chain_ids text;
ALTER TABLE scopes ADD COLUMN signing_window_s integer NOT NULL DEFAULT 300;
ALTER TABLE scopes ADD COLUMN rate_limit_signing_per_minute integer;
ALTER TABLE audit_log ADD COLUMN chain_id bigint;
ALTER TABLE audit_log ADD COLUMN signed_digest text;
ALTER TABLE audit_log ADD COLUMN delegate_key_id text;

CREATE TABLE delegate_keys (
  scope_id   text NOT NULL REFERENCES scopes (scope_id),
  key_id     text NOT NULL,
  public_key text NOT NULL,
  name       text,
  created_at ${t.timestamp} NOT NULL,
  CONSTRAINT ${uniqueKeys.delegateKeysPrimaryKey.name} PRIMARY KEY (scope_id, key_id)
);

CREATE TABLE delegated_accounts (
  account_id text PRIMARY KEY REFERENCES accounts (account_id) ON DELETE CASCADE,
  scope_id   text NOT NULL,
  key_id     text NOT NULL
);

CREATE TABLE key_signature_uses (
  digest     text PRIMARY KEY,
  scope_id   text NOT NULL,
  expires_at ${t.timestamp} NOT NULL
);
CREATE INDEX key_signature_uses_expires_at_idx ON key_signature_uses (expires_at);
`,
  },
  {
    id: 9,
    name: 'server_api_keys_account_lifecycle',
    // Server API keys: only the hash of each secret, looked up by it on every server call (hence
    // the unique key); a revoked key keeps its row (revoked_at) so the log's key ids still resolve.
    // The audit log records which key acted, and for a deleted account its identifier hash, the
    // only trace of the username the log keeps.
    sql: (t: Dialect) => `
CREATE TABLE api_keys (
  key_id      text PRIMARY KEY,
  scope_id    text NOT NULL REFERENCES scopes (scope_id),
  name        text NOT NULL,
  secret_hash text NOT NULL,
  created_at  ${t.timestamp} NOT NULL,
  revoked_at  ${t.timestamp},
  CONSTRAINT ${uniqueKeys.apiKeysSecretHash.name} UNIQUE (secret_hash)
);
CREATE INDEX api_keys_scope_idx ON api_keys (scope_id, created_at);

ALTER TABLE audit_log ADD COLUMN api_key_id text;
ALTER TABLE audit_log ADD COLUMN identifier_hash text;
`,
  },
  {
    id: 10,
    name: 'app_user_ids_one_time_tokens_recovery_codes',
    // An app's own user id on accounts (unique per scope; NULL for accounts the gateway names by
    // username alone, and NULLs never collide). One-time tokens live here rather than in the
    // challenge store: a registration token is used up in the same transaction that adds its
    // passkey, so a failed insert leaves it usable and two concurrent uses add one passkey; and
    // nothing evicts a token before it expires. Only keyed hashes of tokens and recovery codes are
    // stored. An account an app enrolled as a second factor signs in only as one. Scope settings: recovery codes (on by default) and whether a second-factor sign-in's
    // session may act as a primary one (refused by default).
    sql: (t: Dialect) => `
ALTER TABLE accounts ADD COLUMN user_id text;
ALTER TABLE accounts ADD COLUMN second_factor_only boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX ${uniqueKeys.accountsUserId.name} ON accounts (user_id, scope_id);
ALTER TABLE scopes ADD COLUMN recovery_codes text NOT NULL DEFAULT 'on';
ALTER TABLE scopes ADD COLUMN second_factor_sessions text NOT NULL DEFAULT 'refused';

CREATE TABLE one_time_tokens (
  token_hash text PRIMARY KEY,
  scope_id   text NOT NULL,
  kind       text NOT NULL,
  account_id text,
  user_id    text,
  payload    text NOT NULL,
  created_at ${t.timestamp} NOT NULL,
  expires_at ${t.timestamp} NOT NULL
);
CREATE INDEX one_time_tokens_expires_at_idx ON one_time_tokens (expires_at);

CREATE TABLE recovery_codes (
  account_id text NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
  code_hash  text NOT NULL,
  created_at ${t.timestamp} NOT NULL,
  PRIMARY KEY (account_id, code_hash)
);
`,
  },
  {
    id: 11,
    name: 'webhook_endpoints_and_outbox',
    // Webhook endpoints per scope (events: a JSON array of audit event names; null: every event,
    // including ones added later) and the outbox of their deliveries. A trigger on audit_log
    // writes one delivery per matching endpoint as part of the insert itself, so every audit event,
    // whichever store or statement writes it, reaches the outbox in the same transaction as the
    // change it describes, or not at all. A delivery names its audit row (event_id) rather than
    // copying it: the audit log is never changed or shortened. ordering_key is the account ('' for
    // events of no account): deliveries of one key go out one at a time, oldest first. message_id
    // is the webhook-id receivers deduplicate on: random, so ids never repeat even where event ids
    // would (a database restored from a backup numbers new events again from where it was).
    // Delivered rows are deleted; failed ones stay for the operator (state 'failed'). The audit
    // log names the endpoint an operator added or removed (webhook_id).
    sql: (t: Dialect) => `
ALTER TABLE audit_log ADD COLUMN webhook_id text;

CREATE TABLE webhook_endpoints (
  webhook_id    text PRIMARY KEY,
  scope_id      text NOT NULL REFERENCES scopes (scope_id),
  url           text NOT NULL,
  events        text,
  sealed_secret text NOT NULL,
  created_at    ${t.timestamp} NOT NULL
);
CREATE INDEX webhook_endpoints_scope_idx ON webhook_endpoints (scope_id);

CREATE TABLE webhook_deliveries (
  delivery_id     ${t.serialKey},
  message_id      text NOT NULL,
  webhook_id      text NOT NULL REFERENCES webhook_endpoints (webhook_id) ON DELETE CASCADE,
  event_id        bigint NOT NULL,
  ordering_key    text NOT NULL,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  created_at      ${t.timestamp} NOT NULL,
  next_attempt_at ${t.timestamp} NOT NULL,
  lease_until     ${t.timestamp},
  lease_token     text,
  last_error      text,
  failed_at       ${t.timestamp}
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (webhook_id, ordering_key, delivery_id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_lease_idx ON webhook_deliveries (lease_token);
${
  t.name === 'postgres'
    ? `
CREATE FUNCTION webhook_outbox_fan_out() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO webhook_deliveries (message_id, webhook_id, event_id, ordering_key, created_at, next_attempt_at)
  SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.webhook_id, NEW.event_id, coalesce(NEW.account_id, ''), NEW.occurred_at, NEW.occurred_at
  FROM webhook_endpoints e
  WHERE e.scope_id = NEW.scope_id AND (e.events IS NULL OR e.events::jsonb @> jsonb_build_array(NEW.event));
  RETURN NULL;
END
$$;
CREATE TRIGGER audit_log_webhook_outbox AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION webhook_outbox_fan_out();
`
    : `
CREATE TRIGGER audit_log_webhook_outbox AFTER INSERT ON audit_log FOR EACH ROW BEGIN
  INSERT INTO webhook_deliveries (message_id, webhook_id, event_id, ordering_key, created_at, next_attempt_at)
  SELECT 'msg_' || lower(hex(randomblob(16))), e.webhook_id, NEW.event_id, coalesce(NEW.account_id, ''), NEW.occurred_at, NEW.occurred_at
  FROM webhook_endpoints e
  WHERE e.scope_id = NEW.scope_id AND (e.events IS NULL OR EXISTS (SELECT 1 FROM json_each(e.events) WHERE json_each.value = NEW.event));
END;
`
}`,
  },
  {
    id: 12,
    name: 'operator_invites',
    // One-time registration links of the operators' scope: only the SHA-256 of each token is kept.
    // used_at is set, in the transaction that creates the operator's account, at most once.
    sql: (t: Dialect) => `
CREATE TABLE operator_invites (
  invite_hash text PRIMARY KEY,
  created_at  ${t.timestamp} NOT NULL,
  expires_at  ${t.timestamp} NOT NULL,
  used_at     ${t.timestamp}
);
`,
  },
  {
    id: 13,
    name: 'second_factor_passkeys',
    // A passkey an app enrolled as a second factor (registration token purpose "second_factor")
    // signs in only under a sign-in token, also when its account has other, primary passkeys.
    sql: () => `
ALTER TABLE credentials ADD COLUMN second_factor_only boolean NOT NULL DEFAULT false;
`,
  },
];
