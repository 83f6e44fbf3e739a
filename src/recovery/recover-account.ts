import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { GatewayError } from '../errors/gateway-error.js';
import { recoveryCodeHash, recoveryCodeSchema } from '../identity/recovery-codes.js';
import { usernameKey } from '../identity/user-input.js';
import { limits } from '../domain/limits.js';
import type { RateLimiter } from '../rate-limits/rate-limiter.js';
import { envelopeField } from '../rpc/envelope-field.js';
import { scopedMethod } from '../rpc/rpc-method.js';
import type { SessionService } from '../sessions/session-service.js';
import type { AccountStore } from '../stores/account-store.js';
import type { RecoveryCodeStore } from '../stores/recovery-code-store.js';

/** The plaintext of recoverAccount's `encrypted_user`. */
const recoveryUserSchema = z.object({
  username: z.string().min(1).max(limits.usernameChars * 4),
  code: z.string().max(64).describe('one of the recovery codes, as shown (case, spaces and hyphens do not matter)'),
});

interface Deps {
  accounts: AccountStore;
  recoveryCodes: RecoveryCodeStore;
  sessions: SessionService;
  rateLimiter: Pick<RateLimiter, 'consumeRecovery'>;
  audit: AuditRecorder;
  identifierSecret: Buffer;
}

export function recoverAccount(deps: Deps) {
  return scopedMethod({
    name: 'recoverAccount',
    summary: 'Use a recovery code: a session that can only add a passkey',
    description:
      'encrypted_user is sealed {username, code}. Uses the code up and answers a recovery session (at most 10 minutes) that ' +
      'initiateRegistration and completeRegistration take to add a passkey, and every other method refuses (session_invalid). ' +
      'An unknown username, a wrong or used code and a disabled account are all recovery_failed; attempts are limited to 5 an hour ' +
      'per username and 20 an hour per client address (rate_limited). Only in scopes with recovery_codes on.',
    params: z.object({ encrypted_user: envelopeField }),
    envelopes: { encrypted_user: recoveryUserSchema },
    result: z.object({
      encrypted_jwt: z.string().describe('Envelope of the recovery session JWT, sent as X-Encrypted-Session to add a passkey'),
      encrypted_recovery_codes: z.string().describe('Envelope of {remaining}: how many unused codes the account holds now'),
    }),
    sealedResult: { encrypted_jwt: 'text', encrypted_recovery_codes: 'json' },
    async handler(params, ctx) {
      const { scope, clientKey } = ctx;
      if (scope.recovery_codes !== 'on') throw new GatewayError('method_not_found', 'recovery codes off in this scope');
      const given = params.encrypted_user.open();
      const key = usernameKey(given.username);
      // Counted before anything is looked up, for known and unknown usernames alike.
      await deps.rateLimiter.consumeRecovery(scope, key, ctx.clientIp ?? 'unknown');
      const code = recoveryCodeSchema.safeParse(given.code);
      const account = await deps.accounts.findAccountByUsername(scope.scope_id, key);
      const usable = account !== null && !account.disabled && code.success;
      // The same store work whoever is named: an unknown username tries a code of an account id no one has.
      const accountId = usable ? account.account_id : randomUUID();
      const facts = { scope_id: scope.scope_id, account_id: account?.account_id ?? null };
      const remaining = await deps.recoveryCodes.useRecoveryCode(
        accountId,
        recoveryCodeHash(deps.identifierSecret, accountId, code.success ? code.data : '0000000000'),
        deps.audit.event(ctx, 'recovery_code_used', facts),
      );
      if (!usable || remaining === null) {
        await deps.audit.record(ctx, 'recovery_failed', { ...facts, reason: account === null ? 'unknown_username' : account.disabled ? 'account_disabled' : 'wrong_code' });
        throw new GatewayError('recovery_failed');
      }
      ctx.log.info({ account_id: account.account_id, scope_id: scope.scope_id, remaining }, 'recovery code used');
      return { encrypted_jwt: deps.sessions.issueRecovery(account, scope, clientKey.thumbprint), encrypted_recovery_codes: { remaining } };
    },
  });
}
