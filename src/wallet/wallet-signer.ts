import type { AuditRecorder } from '../audit/audit-recorder.js';
import type { AuditEventName } from '../domain/audit-event.js';
import { GatewayError } from '../errors/gateway-error.js';
import { signWithAccountKey, type RecoverableSignature } from '../identity/account-signature.js';
import type { RateLimiter } from '../rate-limits/rate-limiter.js';
import type { WalletContext } from '../rpc/rpc-method.js';
import { requireRecentSignIn } from '../sessions/session-service.js';
import type { AuditLogStore } from '../stores/audit-log-store.js';

export interface WalletSignerDeps {
  accountKeySecret: Buffer;
  rateLimiter: Pick<RateLimiter, 'consumeSigning'>;
  audit: Pick<AuditRecorder, 'event'>;
  auditLog: Pick<AuditLogStore, 'appendAuditEvent'>;
  now: () => number;
}

/** What a wallet method asks to have signed: the digest, and what the audit log records of it. */
export interface SigningRequest {
  event: Extract<AuditEventName, 'message_signed' | 'typed_data_signed' | 'transaction_signed'>;
  /** The 32-byte digest, 0x hex. */
  digest: string;
  /** The chain the transaction or typed data names; null for a message, or typed data without one. */
  chainId: number | null;
}

export interface WalletSigner {
  /**
   * Signs `digest` with the account's key, when the call may: through a session, one whose passkey
   * sign-in is within the scope's signing_window_s and verified the user where the scope requires
   * it (else reauthentication_required); a chain the scope allows (chain_not_allowed); within the
   * account's signing rate (rate_limited). The audit event is written before the signature exists:
   * no signature leaves the gateway unrecorded.
   */
  sign(ctx: WalletContext, request: SigningRequest): Promise<RecoverableSignature>;
}

export function createWalletSigner(deps: WalletSignerDeps): WalletSigner {
  return {
    async sign(ctx, { event, digest, chainId }) {
      const { scope, account, actor } = ctx;
      if (actor.via === 'session') {
        // A stolen session is worth a signature only for signing_window_s after its passkey sign-in.
        requireRecentSignIn(actor.session, scope, deps.now(), scope.signing_window_s);
        if (scope.user_verification === 'required' && actor.session.uv !== true) {
          throw new GatewayError('reauthentication_required', 'the sign-in did not verify the user');
        }
      }
      const allowed = scope.allowed_chain_ids;
      if (allowed !== null && (chainId === null || !allowed.includes(chainId))) throw new GatewayError('chain_not_allowed', `chain ${chainId ?? 'none'}`);
      await deps.rateLimiter.consumeSigning(scope, account.account_id);
      // Written on its own and awaited (not AuditRecorder.record, which swallows failures): a
      // signature whose event could not be written is never made.
      await deps.auditLog.appendAuditEvent(
        deps.audit.event(ctx, event, {
          scope_id: scope.scope_id,
          account_id: account.account_id,
          credential_id: actor.via === 'session' ? actor.session.credential_id : null,
          chain_id: chainId,
          signed_digest: digest,
          delegate_key_id: actor.via === 'delegate_key' ? actor.keyId : null,
        }),
      );
      return signWithAccountKey(deps.accountKeySecret, account.account_id, Buffer.from(digest.slice(2), 'hex'));
    },
  };
}
