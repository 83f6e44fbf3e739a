import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config.js';
import type { ScopeStore } from '../stores/scope-store.js';
import { scopeSettingsSchema } from '../domain/scope.js';

/**
 * On a first start with no scopes, creates one for local development (rp_id localhost, the
 * gateway's own origin plus ALLOWED_ORIGINS) so the gateway is usable at once. Returns its id.
 */
export async function ensureDevelopmentScope(store: ScopeStore, config: Config): Promise<string | null> {
  const existing = await store.listScopes();
  if (existing.length > 0) {
    return existing.find((scope) => scope.name === 'development')?.scope_id ?? null;
  }
  const origins = [...new Set([`http://localhost:${config.port}`, ...config.allowedOrigins])];
  const settings = scopeSettingsSchema.parse({ name: 'development', rp_id: 'localhost', rp_name: 'passkey-gateway (development)', origins });
  const scope = await store.createScope({ ...settings, scope_id: randomUUID(), rp_name: settings.rp_name ?? settings.name });
  return scope.scope_id;
}
