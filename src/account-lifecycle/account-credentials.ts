import { z } from 'zod';
import { credentialViewSchema, credentialView } from '../account/list-credentials.js';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { limits } from '../domain/limits.js';
import { GatewayError } from '../errors/gateway-error.js';
import { actedBy } from '../rpc/callers.js';
import { serverMethod } from '../rpc/rpc-method.js';
import type { AccountStore } from '../stores/account-store.js';
import { accountInScope, accountRef, accountRefSchema } from './account-ref.js';

export function listAccountCredentials(deps: { accounts: AccountStore }) {
  return serverMethod({
    name: 'listAccountCredentials',
    readOnly: true,
    summary: "An account's passkeys (server key or admin)",
    description: 'Needs Authorization: Bearer <API key> (or, with scope_id, the admin token or an operator session). The same view as the session method listCredentials.',
    params: accountRefSchema,
    result: z.object({ account_id: z.string(), credentials: z.array(credentialViewSchema) }),
    async handler(ref, ctx) {
      const account = await accountInScope(deps.accounts, ctx.scope.scope_id, ref);
      return { account_id: account.account_id, credentials: (await deps.accounts.listCredentials(account.account_id)).map(credentialView) };
    },
  });
}

export function deleteAccountCredential(deps: { accounts: AccountStore; audit: AuditRecorder }) {
  return serverMethod({
    name: 'deleteAccountCredential',
    summary: "Delete one of an account's passkeys (server key or admin)",
    description:
      'Needs Authorization: Bearer <API key> (or, with scope_id, the admin token or an operator session). The last passkey is refused with last_credential ' +
      '(deleteAccount removes the account); sessions the deleted passkey started end with it.',
    params: accountRef({ credential_id: z.string().min(1).max(limits.credentialIdChars) }),
    result: z.object({ account_id: z.string(), credential_id: z.string(), deleted: z.literal(true) }),
    async handler({ credential_id, ...ref }, ctx) {
      const account = await accountInScope(deps.accounts, ctx.scope.scope_id, ref);
      const audit = deps.audit.event(ctx, 'credential_deleted', { scope_id: account.scope_id, account_id: account.account_id, credential_id, ...actedBy(ctx.caller) });
      const outcome = await deps.accounts.deleteCredential(account.account_id, credential_id, audit);
      if (outcome === 'not_found') throw new GatewayError('credential_not_found');
      if (outcome === 'last_credential') throw new GatewayError('last_credential');
      return { account_id: account.account_id, credential_id, deleted: true as const };
    },
  });
}
