import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { serverScopeId } from '../account-lifecycle/account-ref.js';
import { GatewayError } from '../errors/gateway-error.js';
import { actedBy } from '../rpc/callers.js';
import { serverMethod } from '../rpc/rpc-method.js';
import type { TokenStore } from '../stores/token-store.js';
import type { AccountStore } from '../stores/account-store.js';
import { signInResultSchema } from '../tokens/sign-in-result.js';
import { tokenHash, tokenSchema } from '../tokens/token-secret.js';

export function verifySignIn(deps: { tokens: TokenStore; accounts: AccountStore; audit: AuditRecorder; identifierSecret: Buffer; now: () => number }) {
  return serverMethod({
    name: 'verifySignIn',
    summary: 'Exchange a sign-in token for who signed in (server key)',
    description:
      'Needs Authorization: Bearer <API key> (or the admin token with scope_id). The token is the one completeAuthentication sealed in ' +
      'encrypted_sign_in_token (pkgw_sv_…), which the browser hands to the app\'s backend: single use, within 2 minutes of the sign-in, ' +
      'only in its own scope; anything else is token_invalid (an account disabled since: account_disabled). Lets a backend trust a sign-in without parsing JWTs.',
    params: z.object({ scope_id: serverScopeId, token: tokenSchema('sign_in_result') }),
    result: signInResultSchema.extend({
      user_id: z.string().nullable().describe("the app's own user id; null for accounts without one"),
      account_id: z.string(),
    }),
    async handler({ token }, ctx) {
      const { scope } = ctx;
      const found = await deps.tokens.consumeToken(tokenHash(deps.identifierSecret, token), 'sign_in_result', scope.scope_id, new Date(deps.now()).toISOString());
      if (found === null || found.account_id === null) throw new GatewayError('token_invalid');
      const result = signInResultSchema.parse(JSON.parse(found.payload));
      // The account as it is now: one disabled since the sign-in is not let in by its token (a deleted one took its tokens along).
      const account = await deps.accounts.getAccount(found.account_id);
      if (account === null) throw new GatewayError('token_invalid', 'the account is gone');
      if (account.disabled) throw new GatewayError('account_disabled');
      await deps.audit.record(ctx, 'sign_in_verified', { scope_id: scope.scope_id, account_id: found.account_id, credential_id: result.credential_id, ...actedBy(ctx.caller) });
      return { ...result, user_id: found.user_id, account_id: found.account_id };
    },
  });
}
