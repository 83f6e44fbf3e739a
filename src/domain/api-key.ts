/**
 * A server API key of one scope: what app backends authenticate server methods with. The secret
 * itself is shown once, when the key is created; only its hash is kept (see api-keys/api-key-secret.ts).
 */
export interface ApiKey {
  /** Public id (a UUID): how the CLI, the admin methods and the audit log name the key. */
  key_id: string;
  scope_id: string;
  /** An operator's label (at most 100 characters). */
  name: string;
  /** base64url SHA-256 of the secret; never shown. */
  secret_hash: string;
  created_at: string;
  /** Null while the key works; the time it was revoked, after which it never works again. */
  revoked_at: string | null;
}

/** A key as listed: everything but its hash. */
export type ApiKeyInfo = Omit<ApiKey, 'secret_hash'>;

/** Why creating a key was refused. */
export type CreateApiKeyResult = { ok: true; key: ApiKey } | { ok: false; conflict: 'scope_not_found' | 'too_many_api_keys' };
