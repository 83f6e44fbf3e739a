import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { serverScopeId } from '../account-lifecycle/account-ref.js';
import { GatewayError } from '../errors/gateway-error.js';
import { registrationUserSchema } from '../identity/user-input.js';
import { serverMethod } from '../rpc/rpc-method.js';
import { actedBy } from '../rpc/callers.js';
import type { AccountStore } from '../stores/account-store.js';
import type { TokenStore } from '../stores/token-store.js';
import { issueToken, tokenTtlSchema } from '../tokens/issue-token.js';
import type { RegistrationPayload } from '../tokens/registration-target.js';
import { userIdSchema } from '../identity/user-input.js';

export function createRegistrationToken(deps: { accounts: AccountStore; tokens: TokenStore; audit: AuditRecorder; identifierSecret: Buffer; now: () => number }) {
  return serverMethod({
    name: 'createRegistrationToken',
    summary: "A one-time token that registers a passkey for one of the app's users (server key)",
    description:
      'Needs Authorization: Bearer <API key> (or the admin token with scope_id). The browser passes the token (pkgw_rt_…) as ' +
      "registration_token inside initiateRegistration's encrypted_user; the passkey goes to the account of user_id, created on first use " +
      '(with username when given, which must be free) and added to afterwards, up to the passkey limit. For an existing user_id it is ' +
      'also the app\'s recovery link. Single use, bound to the scope, usable for ttl_s seconds (default 600).',
    params: z.object({
      scope_id: serverScopeId,
      user_id: userIdSchema,
      username: z.string().max(1024).optional().describe('a username for a new account (sign-in by username, recovery codes); absent: none'),
      display_name: z.string().max(1024).optional(),
      purpose: z.enum(['passkey', 'second_factor']).default('passkey').describe('what the passkey is for: a sign-in of its own, or a second factor'),
      ttl_s: tokenTtlSchema,
    }),
    result: z.object({ registration_token: z.string(), expires_at: z.string() }),
    async handler(params, ctx) {
      const { scope } = ctx;
      // The username and display name are checked as registration checks them.
      const user = registrationUserSchema.safeParse({ username: params.username ?? 'x', userDisplayName: params.display_name });
      if (!user.success) throw new GatewayError('invalid_params', 'username or display_name');
      const existing = await deps.accounts.findAccountByUserId(scope.scope_id, params.user_id);
      const username = params.username === undefined ? null : user.data.usernameKey;
      if (existing === null && username !== null && (await deps.accounts.findAccountByUsername(scope.scope_id, username)) !== null) {
        throw new GatewayError('account_exists');
      }
      const payload: RegistrationPayload = { username, display_name: params.display_name === undefined ? null : user.data.displayName, purpose: params.purpose };
      const { token, expires_at } = await issueToken(deps, ctx, {
        scopeId: scope.scope_id,
        kind: 'registration',
        accountId: null,
        userId: params.user_id,
        payload,
        ttlSeconds: params.ttl_s,
        event: 'registration_token_created',
        facts: actedBy(ctx.caller),
      });
      return { registration_token: token, expires_at };
    },
  });
}
