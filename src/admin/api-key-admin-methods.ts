import { z } from 'zod';
import { apiKeyNameSchema, createApiKey, revokeApiKey } from '../api-keys/api-keys.js';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { limits } from '../domain/limits.js';
import { GatewayError } from '../errors/gateway-error.js';
import { actedBy } from '../rpc/callers.js';
import { adminMethod } from '../rpc/rpc-method.js';
import type { ApiKeyStore } from '../stores/api-key-store.js';

export interface ApiKeyAdminDeps {
  apiKeys: ApiKeyStore;
  audit: AuditRecorder;
  now: () => number;
  /** The operators' scope (null without the console): no API key acts there. */
  operatorScopeId: string | null;
}

const apiKeyInfoSchema = z.object({
  key_id: z.string().describe('public id of the key (UUID)'),
  scope_id: z.string(),
  name: z.string(),
  created_at: z.string(),
  revoked_at: z.string().nullable().describe('null while the key works'),
});

export function createApiKeyMethod(deps: ApiKeyAdminDeps) {
  return adminMethod({
    name: 'createApiKey',
    summary: 'Create a server API key for a scope (admin)',
    description:
      'Needs Authorization: Bearer <admin token>, or an operator session (the console). Answers the secret (pgk_ + 43 base64url characters) once: only its hash is kept, ' +
      `so it cannot be shown again. At most ${limits.apiKeysPerScope} working keys per scope.`,
    params: z.object({ scope_id: z.uuid(), name: apiKeyNameSchema }),
    result: apiKeyInfoSchema.extend({ secret: z.string().describe('the key itself: Authorization: Bearer <secret> on server methods') }),
    async handler({ scope_id, name }, ctx) {
      const scopeId = scope_id.toLowerCase();
      // Operators are managed by invites and their own sessions, never by an app's server key.
      if (scopeId === deps.operatorScopeId) throw new GatewayError('scope_reserved', 'no API key for the operators\' scope');
      const { key, secret } = await createApiKey(deps.apiKeys, { scopeId, name, now: deps.now() }, (keyId) =>
        deps.audit.event(ctx, 'api_key_created', { scope_id: scopeId, api_key_id: keyId, reason: actedBy(ctx.caller).reason }),
      );
      return { ...key, secret };
    },
  });
}

export function listApiKeysMethod(deps: Pick<ApiKeyAdminDeps, 'apiKeys'>) {
  return adminMethod({
    name: 'listApiKeys',
    readOnly: true,
    summary: "A scope's server API keys, revoked ones too (admin)",
    description: 'Needs Authorization: Bearer <admin token>, or an operator session (the console). Never shows a secret or its hash.',
    params: z.object({ scope_id: z.uuid() }),
    result: z.object({ keys: z.array(apiKeyInfoSchema) }),
    async handler({ scope_id }) {
      const keys = await deps.apiKeys.listApiKeys(scope_id.toLowerCase());
      return { keys: keys.map(({ secret_hash: _hash, ...info }) => info) };
    },
  });
}

export function revokeApiKeyMethod(deps: ApiKeyAdminDeps) {
  return adminMethod({
    name: 'revokeApiKey',
    summary: 'Revoke a server API key (admin)',
    description: 'Needs Authorization: Bearer <admin token>, or an operator session (the console). From the next call on the key is refused (unauthorized) on every gateway; it cannot be restored.',
    params: z.object({ scope_id: z.uuid(), key_id: z.uuid() }),
    result: z.object({ scope_id: z.string(), key_id: z.string(), revoked_at: z.string() }),
    async handler({ scope_id, key_id }, ctx) {
      const scopeId = scope_id.toLowerCase();
      const keyId = key_id.toLowerCase();
      return revokeApiKey(deps.apiKeys, { scopeId, keyId, now: deps.now() }, deps.audit.event(ctx, 'api_key_revoked', { scope_id: scopeId, api_key_id: keyId, reason: actedBy(ctx.caller).reason }));
    },
  });
}
