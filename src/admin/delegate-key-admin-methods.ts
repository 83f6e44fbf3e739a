import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { addDelegateKey } from '../delegation/delegate-keys.js';
import { limits } from '../domain/limits.js';
import { GatewayError } from '../errors/gateway-error.js';
import { adminMethod } from '../rpc/rpc-method.js';
import type { DelegateStore } from '../stores/delegate-store.js';

export interface DelegateKeyAdminDeps {
  delegates: DelegateStore;
  audit: AuditRecorder;
  now: () => number;
  /** The operators' scope (null without the console), where no key may create accounts. */
  operatorScopeId: string | null;
}

const delegateKeySchema = z.object({
  scope_id: z.string(),
  key_id: z.string().describe('base64url SHA-256 of the SPKI DER'),
  public_key: z.string().describe('base64 SPKI DER'),
  name: z.string().nullable(),
  created_at: z.string(),
});
const keyIdSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a key id (43 base64url characters)');

export function addDelegateKeyMethod(deps: DelegateKeyAdminDeps) {
  return adminMethod({
    name: 'addDelegateKey',
    summary: 'Let a public key create accounts in a scope and act for them (admin)',
    description:
      'Needs Authorization: Bearer <admin token>, or an operator session (the console). public_key: base64 SPKI DER (what @0xpass/key-signer\'s getPublicKey() gives) or PEM; ' +
      `EC P-256 or P-384, or RSA of 2048 to 4096 bits; at most ${limits.delegateKeysPerScope} per scope.`,
    params: z.object({
      scope_id: z.uuid(),
      public_key: z.string().min(1).max(limits.delegatePublicKeyChars * 2),
      name: z.string().trim().min(1).max(100).optional(),
    }),
    result: delegateKeySchema,
    async handler({ scope_id, public_key, name }, ctx) {
      if (scope_id === deps.operatorScopeId) throw new GatewayError('scope_reserved', 'operators are invited, never created by a key');
      return addDelegateKey(deps.delegates, { scopeId: scope_id, publicKey: public_key, name: name ?? null, now: deps.now() }, (keyId) =>
        deps.audit.event(ctx, 'delegate_key_added', { scope_id, delegate_key_id: keyId }),
      );
    },
  });
}

export function listDelegateKeysMethod(deps: Pick<DelegateKeyAdminDeps, 'delegates'>) {
  return adminMethod({
    name: 'listDelegateKeys',
    summary: "A scope's delegate keys (admin)",
    description: 'Needs Authorization: Bearer <admin token>, or an operator session (the console).',
    readOnly: true,
    params: z.object({ scope_id: z.uuid() }),
    result: z.object({ keys: z.array(delegateKeySchema) }),
    async handler({ scope_id }) {
      return { keys: await deps.delegates.listDelegateKeys(scope_id) };
    },
  });
}

export function removeDelegateKeyMethod(deps: DelegateKeyAdminDeps) {
  return adminMethod({
    name: 'removeDelegateKey',
    summary: 'Take a delegate key away from a scope (admin)',
    description:
      'Needs Authorization: Bearer <admin token>, or an operator session (the console). From then on its signatures are refused (delegate_key_unknown); the accounts it created stay, ' +
      'and nothing acts for them until the same key is added again.',
    params: z.object({ scope_id: z.uuid(), key_id: keyIdSchema }),
    result: z.object({ scope_id: z.string(), key_id: z.string(), removed: z.literal(true) }),
    async handler({ scope_id, key_id }, ctx) {
      const removed = await deps.delegates.removeDelegateKey(scope_id, key_id, deps.audit.event(ctx, 'delegate_key_removed', { scope_id, delegate_key_id: key_id }));
      if (!removed) throw new GatewayError('delegate_key_unknown');
      return { scope_id, key_id, removed: true as const };
    },
  });
}
