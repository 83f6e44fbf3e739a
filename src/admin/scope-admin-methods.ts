import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { GatewayError } from '../errors/gateway-error.js';
import { adminMethod } from '../rpc/rpc-method.js';
import { scopeSchema, scopeSettingsSchema } from '../domain/scope.js';
import type { ScopeRegistry } from '../scopes/scope-registry.js';
import type { ScopeStore } from '../stores/scope-store.js';

export interface ScopeAdminDeps {
  scopeStore: ScopeStore;
  /** Reloaded after a write, so this process honours the change at once (others within a poll). */
  scopes: ScopeRegistry;
  audit: AuditRecorder;
  /** The operators' scope (null without the console): the gateway sets it from its configuration, so no call changes it. */
  operatorScopeId: string | null;
}

/** Every setting optional and without its default, so an update changes only what it names. */
const scopeChangesSchema = z.object(
  Object.fromEntries(
    Object.entries(scopeSettingsSchema.shape).map(([key, field]) => [key, (field instanceof z.ZodDefault ? field.unwrap() : field).optional()]),
  ),
  // Same fields and types as partial(), which would however fill in the defaults of absent keys.
) as unknown as ReturnType<typeof scopeSettingsSchema.partial>;

export function createScope(deps: ScopeAdminDeps) {
  return adminMethod({
    name: 'createScope',
    summary: 'Create a scope (admin)',
    description: 'Needs Authorization: Bearer <admin token>, or an operator session (the console). Settings as for `npm run scope -- create`; unset ones take their defaults.',
    params: scopeSettingsSchema,
    result: scopeSchema,
    async handler(settings, ctx) {
      const { rp_name, ...rest } = settings;
      const scope = await deps.scopeStore.createScope({ ...rest, rp_name: rp_name ?? rest.name, scope_id: randomUUID() });
      await deps.scopes.refresh();
      await deps.audit.record(ctx, 'scope_created', { scope_id: scope.scope_id });
      return scope;
    },
  });
}

export function updateScope(deps: ScopeAdminDeps) {
  return adminMethod({
    name: 'updateScope',
    summary: 'Change some settings of a scope (admin)',
    description: 'Needs Authorization: Bearer <admin token>, or an operator session (the console). Only the settings given change; `origins` replaces the whole list.',
    params: scopeChangesSchema.extend({ scope_id: z.uuid() }),
    result: scopeSchema,
    async handler({ scope_id, ...changes }, ctx) {
      // Its origins and session lengths are what keeps the console's sign-in tight: PUBLIC_ORIGIN sets them.
      if (scope_id === deps.operatorScopeId) throw new GatewayError('scope_reserved');
      const given = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
      const scope = await deps.scopeStore.updateScope(scope_id, given);
      if (scope === null) throw new GatewayError('scope_not_found');
      await deps.scopes.refresh();
      await deps.audit.record(ctx, 'scope_updated', { scope_id });
      return scope;
    },
  });
}

export function listScopes(deps: Pick<ScopeAdminDeps, 'scopeStore'>) {
  return adminMethod({
    name: 'listScopes',
    summary: 'Every scope (admin)',
    description: 'Needs Authorization: Bearer <admin token>, or an operator session (the console).',
    readOnly: true,
    params: z.object({}).strict().optional(),
    result: z.object({ scopes: z.array(scopeSchema) }),
    async handler() {
      return { scopes: await deps.scopeStore.listScopes() };
    },
  });
}
