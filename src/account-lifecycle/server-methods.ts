import type { AuditRecorder } from '../audit/audit-recorder.js';
import type { RpcMethod } from '../rpc/rpc-method.js';
import type { SessionService } from '../sessions/session-service.js';
import type { AccountStore } from '../stores/account-store.js';
import { deleteAccountCredential, listAccountCredentials } from './account-credentials.js';
import { deleteAccount } from './delete-account.js';
import { findAccount } from './find-account.js';
import { listAccounts } from './list-accounts.js';
import { revokeSessions } from './revoke-sessions.js';

export interface AccountLifecycleDeps {
  accounts: AccountStore;
  audit: AuditRecorder;
  sessions: SessionService;
}

/** The account methods an app backend calls with its API key (or an operator with the admin token); always registered. */
export function accountLifecycleMethods(deps: AccountLifecycleDeps): RpcMethod[] {
  return [listAccounts(deps), findAccount(deps), deleteAccount(deps), listAccountCredentials(deps), deleteAccountCredential(deps), revokeSessions(deps)];
}
