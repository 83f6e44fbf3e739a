import type { RpcMethod } from '../rpc/rpc-method.js';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import type { AccountStore } from '../stores/account-store.js';
import type { TokenStore } from '../stores/token-store.js';
import { createRegistrationToken } from './create-registration-token.js';
import { createSignInToken } from './create-sign-in-token.js';
import { verifySignIn } from './verify-sign-in.js';

/** The methods an app backend uses for its own users (passkeys for its user ids, second factor, sign-in results); always registered. */
export function appUserMethods(deps: { accounts: AccountStore; tokens: TokenStore; audit: AuditRecorder; identifierSecret: Buffer; now: () => number }): RpcMethod[] {
  return [createRegistrationToken(deps), createSignInToken(deps), verifySignIn(deps)];
}
