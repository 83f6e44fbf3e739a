import type { AuditRecorder } from '../audit/audit-recorder.js';
import type { RpcMethod } from '../rpc/rpc-method.js';
import type { SessionService } from '../sessions/session-service.js';
import type { AccountStore } from '../stores/account-store.js';
import { revokeSessions } from './revoke-sessions.js';

export interface AccountLifecycleDeps {
  accounts: AccountStore;
  audit: AuditRecorder;
  sessions: SessionService;
}

/** The account methods an app backend calls with its API key (or an operator with the admin token); always registered. */
export function accountLifecycleMethods(deps: AccountLifecycleDeps): RpcMethod[] {
  return [revokeSessions(deps)];
}
