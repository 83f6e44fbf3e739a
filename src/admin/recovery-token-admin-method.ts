import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { GatewayError } from '../errors/gateway-error.js';
import { adminMethod } from '../rpc/rpc-method.js';
import type { AccountStore } from '../stores/account-store.js';
import type { TokenStore } from '../stores/token-store.js';
import { issueToken, tokenTtlSchema } from '../tokens/issue-token.js';
import type { RegistrationPayload } from '../tokens/registration-target.js';

/** An operator's way back in for a user who lost every passkey: a link token that adds one passkey to the account. */
export function createRecoveryToken(deps: { accounts: AccountStore; tokens: TokenStore; audit: AuditRecorder; identifierSecret: Buffer; now: () => number }) {
  return adminMethod({
    name: 'createRecoveryToken',
    summary: 'A one-time token that adds a passkey to an account (admin)',
    description:
      'Needs Authorization: Bearer <admin token>. The token (pkgw_rt_…) goes to the user as a link; passed as registration_token ' +
      'in initiateRegistration\'s encrypted_user, it registers one passkey to the account, once, before it expires.',
    params: z.object({ scope_id: z.uuid(), account_id: z.uuid(), ttl_s: tokenTtlSchema }),
    result: z.object({ registration_token: z.string(), expires_at: z.string() }),
    async handler({ scope_id, account_id, ttl_s }, ctx) {
      const account = await deps.accounts.getAccount(account_id);
      if (account === null || account.scope_id !== scope_id) throw new GatewayError('account_not_found');
      const payload: RegistrationPayload = { username: null, display_name: null, purpose: 'recovery' };
      const { token, expires_at } = await issueToken(deps, ctx, {
        scopeId: scope_id,
        kind: 'registration',
        accountId: account_id,
        userId: null,
        payload,
        ttlSeconds: ttl_s,
        event: 'registration_token_created',
      });
      return { registration_token: token, expires_at };
    },
  });
}
