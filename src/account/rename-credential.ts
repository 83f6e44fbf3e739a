import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { GatewayError } from '../errors/gateway-error.js';
import { limits } from '../domain/limits.js';
import { sessionMethod } from '../rpc/rpc-method.js';
import type { AccountStore } from '../stores/account-store.js';
import { credentialName } from '../identity/user-input.js';


export function renameCredential(deps: { accounts: AccountStore; audit: AuditRecorder }) {
  return sessionMethod({
    name: 'renameCredential',
    summary: 'Rename one of the signed-in account\'s passkeys (result sealed in encrypted_result)',
    description: 'Needs X-Encrypted-Session. Names are 1–100 characters.',
    params: z.object({ credential_id: z.string().min(1).max(limits.credentialIdChars), name: credentialName }),
    result: z.object({ credential_id: z.string(), name: z.string() }),
    async handler({ credential_id, name }, ctx) {
      const { account } = ctx;
      const audit = deps.audit.event(ctx, 'credential_renamed', { scope_id: account.scope_id, account_id: account.account_id, credential_id });
      if (!(await deps.accounts.renameCredential(account.account_id, credential_id, name, audit))) throw new GatewayError('credential_not_found');
      return { credential_id, name };
    },
  });
}
