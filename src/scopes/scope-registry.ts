import type { Logger } from 'pino';
import type { ScopeStore } from '../stores/scope-store.js';
import { isWebOrigin, type Scope } from '../domain/scope.js';
import { relatedOriginsDocument, type RelatedOriginsDocument } from './related-origins.js';

export interface ScopeRegistry {
  /** The scope, from the cache or, on a miss, from the store (so a scope created a moment ago is found). */
  get(scopeId: string): Promise<Scope | null>;
  /** Union of every scope's origins plus the configured extra origins: what CORS preflights may use. */
  isKnownOrigin(origin: string): boolean;
  /** The `/.well-known/webauthn` document of an RP id the scopes have, from the cache; null for any other host. */
  relatedOrigins(rpId: string): RelatedOriginsDocument | null;
  /** Reloads now instead of at the next poll. */
  refresh(): Promise<void>;
  close(): void;
}

/**
 * Keeps all scopes in memory and polls the store's cheap version marker, so a scope created or
 * changed by the CLI (or another process) is honoured within one poll interval, without restart.
 */
export async function createScopeRegistry(options: {
  store: ScopeStore;
  extraOrigins: string[];
  pollMs?: number;
  log: Logger;
}): Promise<ScopeRegistry> {
  const { store, extraOrigins, pollMs = 500, log } = options;
  let byId = new Map<string, Scope>();
  let origins = new Set<string>(extraOrigins);
  let version: string | null = null;

  const reload = async () => {
    const current = await store.scopesVersion();
    if (current === version && byId.size > 0) return;
    const scopes = await store.listScopes();
    byId = new Map(scopes.map((scope) => [scope.scope_id, scope]));
    // Browsers send web origins only; app origins (android:…) never come in an Origin header.
    origins = new Set([...extraOrigins, ...scopes.flatMap((scope) => scope.origins.filter(isWebOrigin))]);
    version = current;
  };
  await reload();

  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    reload()
      .catch((err: unknown) => log.warn({ err }, 'scope refresh failed; serving cached scopes'))
      .finally(() => {
        polling = false;
      });
  }, pollMs);
  timer.unref();

  return {
    async get(scopeId) {
      const cached = byId.get(scopeId);
      if (cached !== undefined) return cached;
      const scope = await store.getScope(scopeId);
      if (scope !== null) {
        byId.set(scope.scope_id, scope);
        for (const origin of scope.origins.filter(isWebOrigin)) origins.add(origin);
      }
      return scope;
    },
    isKnownOrigin(origin) {
      return origins.has(origin);
    },
    relatedOrigins(rpId) {
      return relatedOriginsDocument(byId.values(), rpId);
    },
    refresh: reload,
    close() {
      clearInterval(timer);
    },
  };
}
