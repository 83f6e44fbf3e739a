import type { RpcMethod } from '../rpc/rpc-method.js';
import type { AuditLogStore } from '../stores/audit-log-store.js';
import { createApiKeyMethod, listApiKeysMethod, revokeApiKeyMethod, type ApiKeyAdminDeps } from './api-key-admin-methods.js';
import { disableAccount, enableAccount, type AccountAdminDeps } from './account-admin-methods.js';
import { addDelegateKeyMethod, listDelegateKeysMethod, removeDelegateKeyMethod, type DelegateKeyAdminDeps } from './delegate-key-admin-methods.js';
import { getAuditLog } from './get-audit-log.js';
import { createRecoveryToken } from './recovery-token-admin-method.js';
import type { TokenStore } from '../stores/token-store.js';
import { createScope, listScopes, updateScope, type ScopeAdminDeps } from './scope-admin-methods.js';
import { addWebhookMethod, listWebhooksMethod, removeWebhookMethod, type WebhookAdminDeps } from './webhook-admin-methods.js';

/** The operator's methods; registered only when an admin token is configured or the console is on (ADMIN_CONSOLE). */
export function adminMethods(
  deps: ScopeAdminDeps & AccountAdminDeps & DelegateKeyAdminDeps & ApiKeyAdminDeps & WebhookAdminDeps & { auditLog: AuditLogStore; tokens: TokenStore; identifierSecret: Buffer; now: () => number },
): RpcMethod[] {
  return [
    createScope(deps),
    updateScope(deps),
    listScopes(deps),
    disableAccount(deps),
    enableAccount(deps),
    getAuditLog(deps),
    addDelegateKeyMethod(deps),
    listDelegateKeysMethod(deps),
    removeDelegateKeyMethod(deps),
    createApiKeyMethod(deps),
    listApiKeysMethod(deps),
    revokeApiKeyMethod(deps),
    createRecoveryToken(deps),
    addWebhookMethod(deps),
    listWebhooksMethod(deps),
    removeWebhookMethod(deps),
  ];
}
