import { createHmac } from 'node:crypto';
import { scopeSettingsSchema, type Scope, type ScopeUpdate } from '../domain/scope.js';
import type { ScopeStore } from '../stores/scope-store.js';

/** The console's sessions are short, and changes need a passkey sign-in at most this old. */
export const OPERATOR_SESSION_TTL_S = 900;
export const OPERATOR_REAUTH_WINDOW_S = 300;

/**
 * The operators' scope id: derived from the identifier secret, so every gateway process of a
 * deployment arrives at the same id without asking anyone, and two starting at once create one scope.
 */
export function operatorScopeId(identifierSecret: Buffer): string {
  const bytes = createHmac('sha256', identifierSecret).update('passkey-gateway operators scope').digest().subarray(0, 16);
  // An RFC 9562 version 4 layout, as every other scope id.
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** What the gateway keeps the operators' scope at, whatever was changed behind its back: PUBLIC_ORIGIN and short sessions. */
function enforcedSettings(publicOrigin: string): ScopeUpdate {
  return {
    name: 'operators',
    rp_id: new URL(publicOrigin).hostname,
    rp_name: 'passkey-gateway operators',
    origins: [publicOrigin],
    user_verification: 'required',
    session_ttl: OPERATOR_SESSION_TTL_S,
    reauth_window_s: OPERATOR_REAUTH_WINDOW_S,
    top_origins: [],
    wallet: 'off',
    // No codes to lose: an operator who lost every passkey is invited again (or recovered by the admin token).
    recovery_codes: 'off',
    second_factor_sessions: 'refused',
  };
}

/**
 * Creates the operators' scope on first start, and puts its enforced settings back on later ones
 * (PUBLIC_ORIGIN may have changed). Safe with several processes starting at once: the id is the
 * same for all, so one insert wins and the others read what it wrote.
 */
export async function ensureOperatorScope(store: ScopeStore, options: { identifierSecret: Buffer; publicOrigin: string }): Promise<Scope> {
  const scopeId = operatorScopeId(options.identifierSecret);
  const enforced = enforcedSettings(options.publicOrigin);
  const existing = await store.getScope(scopeId);
  if (existing === null) {
    const settings = scopeSettingsSchema.parse(enforced);
    try {
      return await store.createScope({ ...settings, scope_id: scopeId, rp_name: settings.rp_name ?? settings.name });
    } catch (error) {
      // Another process created it between our read and our insert.
      const created = await store.getScope(scopeId);
      if (created === null) throw error;
      return created;
    }
  }
  const drifted = (Object.keys(enforced) as Array<keyof ScopeUpdate>).some((name) => JSON.stringify(existing[name]) !== JSON.stringify(enforced[name]));
  return drifted ? ((await store.updateScope(scopeId, enforced)) ?? existing) : existing;
}
