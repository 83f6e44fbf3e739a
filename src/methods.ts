import type { RandomSource } from './keys/random-pool.js';
import { deleteCredential } from './account/delete-credential.js';
import type { CallTracing } from './tracing/call-tracing.js';
import { getAccount } from './account/get-account.js';
import { listCredentials } from './account/list-credentials.js';
import { logout } from './account/logout.js';
import { renameCredential } from './account/rename-credential.js';
import { updateDisplayName } from './account/update-display-name.js';
import { adminMethods } from './admin/admin-methods.js';
import { accountLifecycleMethods } from './account-lifecycle/server-methods.js';
import { appUserMethods } from './app-users/app-user-methods.js';
import type { AuditRecorder } from './audit/audit-recorder.js';
import type { AuthenticatorMetadata } from './attestation/authenticator-metadata.js';
import type { AssertionVerifier } from './authentication/assertion-verifier.js';
import { completeAuthentication } from './authentication/complete-authentication.js';
import type { DecoyShapeCache } from './authentication/decoy-shape-cache.js';
import { initiateAuthentication } from './authentication/initiate-authentication.js';
import type { RsaKeyRing } from './keys/rsa-key-ring.js';
import { completeRegistration } from './registration/complete-registration.js';
import { initiateRegistration } from './registration/initiate-registration.js';
import { delegatedRegistration } from './registration/delegated-registration.js';
import type { DelegateSignatures } from './delegation/delegate-signatures.js';
import type { RateLimiter } from './rate-limits/rate-limiter.js';
import type { DelegateStore } from './stores/delegate-store.js';
import type { ApiKeyStore } from './stores/api-key-store.js';
import { personalSign } from './wallet/personal-sign.js';
import { requestAccounts } from './wallet/request-accounts.js';
import { signTransaction } from './wallet/sign-transaction.js';
import { signTypedData } from './wallet/sign-typed-data.js';
import { createWalletSigner } from './wallet/wallet-signer.js';
import type { ScopeRegistry } from './scopes/scope-registry.js';
import { getJwks } from './public-methods/get-jwks.js';
import { verifySession } from './public-methods/verify-session.js';
import type { SessionService } from './sessions/session-service.js';
import type { AccountStore } from './stores/account-store.js';
import type { AuditLogStore } from './stores/audit-log-store.js';
import type { ChallengeStore } from './stores/challenge-store.js';
import type { ScopeStore } from './stores/scope-store.js';
import type { OperatorInviteStore } from './stores/operator-invite-store.js';
import type { TokenStore } from './stores/token-store.js';
import type { RecoveryCodeStore } from './stores/recovery-code-store.js';
import { getEncryptionKey } from './public-methods/get-encryption-key.js';
import type { RpcMethod } from './rpc/rpc-method.js';
import { recoverAccount } from './recovery/recover-account.js';
import { regenerateRecoveryCodes } from './recovery/regenerate-recovery-codes.js';
import type { WebhookStore } from './stores/webhook-store.js';
import type { AddressKind } from './webhooks/address-guard.js';
import type { WebhookSecretBox } from './webhooks/webhook-secret.js';

export interface MethodDeps {
  accounts: AccountStore;
  scopeStore: ScopeStore;
  auditLog: AuditLogStore;
  challenges: ChallengeStore;
  rsaKeys: RsaKeyRing;
  sessions: SessionService;
  identifierSecret: Buffer;
  accountKeySecret: Buffer;
  /** Challenges, user handles, recovery codes and sign-in result tokens draw their bytes here. */
  random: RandomSource;
  /** Per-scope samples of account shapes that unknown-user answers are drawn from. */
  decoyShapes: DecoyShapeCache;
  now: () => number;
  /** The key no one holds that sign-ins with a passkey the named user lacks are checked against. */
  decoyPublicKey: Uint8Array<ArrayBuffer>;
  /** Verifies sign-in assertions; holds the parsed passkey public keys of this gateway. */
  assertions: AssertionVerifier;
  audit: AuditRecorder;
  /** The FIDO metadata BLOB attestation is verified against (MDS_BLOB_FILE). */
  metadata: AuthenticatorMetadata;
  scopes: ScopeRegistry;
  /** Delegate keys, the accounts they created, and the key signatures already used. */
  delegates: DelegateStore;
  delegateSignatures: DelegateSignatures;
  /** Server API keys (admin methods create, list and revoke them). */
  apiKeys: ApiKeyStore;
  /** Counts signatures per account (the wallet methods). */
  rateLimiter: Pick<RateLimiter, 'consumeSigning' | 'consumeRecovery' | 'refundRecovery'>;
  /** One-time tokens (registration, second-factor sign-in, sign-in results), by keyed hash. */
  tokens: TokenStore;
  /** Accounts' recovery codes, by keyed hash. */
  recoveryCodes: RecoveryCodeStore;
  /** Whether the admin methods exist (ADMIN_TOKEN_FILE is set, or ADMIN_CONSOLE is on). */
  admin: boolean;
  /** The operators' scope (ADMIN_CONSOLE on), whose new accounts need an invite; null otherwise. */
  operatorScopeId: string | null;
  operatorInvites: OperatorInviteStore;
  /** Webhook endpoints (admin methods), their secrets' sealing, and the address guard's view of a URL's host. */
  webhooks: WebhookStore;
  webhookSecrets: WebhookSecretBox;
  classifyAddress: (address: string) => AddressKind;
  allowLoopbackWebhooks: boolean;
  /** Spans for verification when tracing is on (see tracing/call-tracing.ts). */
  tracing: Pick<CallTracing, 'child'>;
}

/** Every JSON-RPC method the gateway serves; the contract document is generated from this list. */
export function buildMethods(deps: MethodDeps): RpcMethod[] {
  const signer = createWalletSigner(deps);
  return [
    getEncryptionKey(deps),
    getJwks(deps),
    verifySession(deps),
    initiateRegistration(deps),
    completeRegistration(deps),
    initiateAuthentication(deps),
    completeAuthentication(deps),
    getAccount(),
    listCredentials(deps),
    renameCredential(deps),
    updateDisplayName(deps),
    deleteCredential(deps),
    logout(deps),
    recoverAccount(deps),
    regenerateRecoveryCodes(deps),
    delegatedRegistration(deps),
    requestAccounts(deps),
    personalSign({ ...deps, signer }),
    signTypedData({ ...deps, signer }),
    signTransaction({ ...deps, signer }),
    ...accountLifecycleMethods(deps),
    ...appUserMethods(deps),
    ...(deps.admin ? adminMethods(deps) : []),
  ];
}
