import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { serverScopeId } from '../account-lifecycle/account-ref.js';
import { GatewayError } from '../errors/gateway-error.js';
import { actedBy } from '../rpc/callers.js';
import { serverMethod } from '../rpc/rpc-method.js';
import type { AccountStore } from '../stores/account-store.js';
import type { TokenStore } from '../stores/token-store.js';
import { issueToken } from '../tokens/issue-token.js';
import { userIdSchema } from '../identity/user-input.js';

export function createSignInToken(deps: { accounts: AccountStore; tokens: TokenStore; audit: AuditRecorder; identifierSecret: Buffer; now: () => number }) {
  return serverMethod({
    name: 'createSignInToken',
    summary: "A one-time token for a second-factor sign-in of one of the app's users (server key)",
    description:
      'Needs Authorization: Bearer <API key> (or the admin token with scope_id). For an app that signed its user in its own way first: ' +
      "the browser passes the token (pkgw_st_…) as sign_in_token inside initiateAuthentication's encrypted_user, which then offers only " +
      "that user's passkeys; the sign-in is marked second_factor (and its session refused as a primary one where the scope's " +
      'second_factor_sessions is refused). Single use, bound to the scope, usable for ttl_s seconds (60 – 600, default 300). ' +
      'account_not_found when the user has no passkey.',
    params: z.object({
      scope_id: serverScopeId,
      user_id: userIdSchema,
      ttl_s: z.number().int().min(60).max(600).default(300).describe('seconds the token stays usable (60 – 600, default 300)'),
    }),
    result: z.object({ sign_in_token: z.string(), expires_at: z.string() }),
    async handler({ user_id, ttl_s }, ctx) {
      const { scope } = ctx;
      const account = await deps.accounts.findAccountByUserId(scope.scope_id, user_id);
      if (account === null || (await deps.accounts.listCredentials(account.account_id)).length === 0) throw new GatewayError('account_not_found');
      const { token, expires_at } = await issueToken(deps, ctx, {
        scopeId: scope.scope_id,
        kind: 'sign_in',
        accountId: account.account_id,
        userId: user_id,
        payload: {},
        ttlSeconds: ttl_s,
        event: 'sign_in_token_created',
        facts: actedBy(ctx.caller),
      });
      return { sign_in_token: token, expires_at };
    },
  });
}
