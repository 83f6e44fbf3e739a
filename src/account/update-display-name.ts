import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { GatewayError } from '../errors/gateway-error.js';
import { newDisplayNameSchema } from '../identity/user-input.js';
import { sessionMethod } from '../rpc/rpc-method.js';
import type { AccountStore } from '../stores/account-store.js';

export function updateDisplayName(deps: { accounts: AccountStore; audit: AuditRecorder }) {
  return sessionMethod({
    name: 'updateDisplayName',
    summary: "Change the signed-in account's display name (result sealed in encrypted_result)",
    description:
      'Needs X-Encrypted-Session. 1–256 characters after NFKC and trimming. Passkeys keep the name they were made with ' +
      'until the browser is told (the browser client calls PublicKeyCredential.signalCurrentUserDetails).',
    params: z.object({ display_name: newDisplayNameSchema }),
    result: z.object({ display_name: z.string() }),
    async handler({ display_name }, ctx) {
      const { account } = ctx;
      const audit = deps.audit.event(ctx, 'display_name_changed', { scope_id: account.scope_id, account_id: account.account_id });
      // Gone since the session check: the session no longer holds.
      if (!(await deps.accounts.setDisplayName(account.account_id, display_name, audit))) throw new GatewayError('session_invalid', 'account removed');
      return { display_name };
    },
  });
}
