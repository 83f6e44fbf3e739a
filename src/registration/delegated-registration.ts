import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import type { NewAccount } from '../domain/account.js';
import type { DelegateSignatures } from '../delegation/delegate-signatures.js';
import { GatewayError } from '../errors/gateway-error.js';
import { accountPublicKey } from '../identity/account-key.js';
import { identifierHash } from '../identity/identifier-hash.js';
import { delegatedUserSchema } from '../identity/user-input.js';
import { envelopeField } from '../rpc/envelope-field.js';
import { scopedMethod } from '../rpc/rpc-method.js';
import type { DelegateStore } from '../stores/delegate-store.js';

const USER_HANDLE_BYTES = 32;

export const delegatedRegistrationParams = z.object({
  encrypted_user: envelopeField.describe('the sealed user the delegate key signed'),
  encrypted_credential: z
    .object({ KeySignature: envelopeField.describe('Envelope of @0xpass/key-signer\'s {kind, id, clientData, signature, algorithm} over encrypted_user') })
    .strict(),
});
export const delegatedRegistrationResult = z.object({
  account_id: z.uuid(),
  identifier_hash: z.string().regex(/^0x[0-9a-f]{64}$/),
});

interface Deps {
  delegateSignatures: Pick<DelegateSignatures, 'verify' | 'use'>;
  delegates: Pick<DelegateStore, 'createDelegatedAccount'>;
  identifierSecret: Buffer;
  accountKeySecret: Buffer;
  audit: AuditRecorder;
  now: () => number;
  /** The operators' scope (null without the console), where no key creates accounts. */
  operatorScopeId: string | null;
}

export function delegatedRegistration(deps: Deps) {
  return scopedMethod({
    name: 'delegatedRegistration',
    summary: 'Create an account without a passkey, vouched for by one of the scope\'s delegate keys',
    description:
      'The app signs the sealed user {username, userDisplayName?, issued_at} with a delegate key registered in the scope (@0xpass/key-signer). ' +
      'Refused with delegate_key_unknown, key_signature_invalid, key_signature_mismatch, key_signature_replayed or key_signature_expired. ' +
      'The account has no passkey and no session; calls with X-Encrypted-Key-Signature by the same key act for it.',
    params: delegatedRegistrationParams,
    envelopes: { encrypted_user: delegatedUserSchema },
    result: delegatedRegistrationResult,
    async handler(params, ctx) {
      const { scope, clientKey, log } = ctx;
      // Operators are only ever invited, never vouched for by a key (none can be added there either).
      if (scope.scope_id === deps.operatorScopeId) throw new GatewayError('invite_invalid', 'delegated registration in the operators\' scope');
      const signedText = params.encrypted_user.envelope;
      // The signature first: a caller without a delegate key learns nothing about usernames.
      const key = await deps.delegateSignatures.verify(scope, clientKey.key, params.encrypted_credential.KeySignature, signedText);
      const user = params.encrypted_user.open();
      await ctx.limitUsername(user.usernameKey);
      // Used up before the account is written: like a challenge, a signature counts once, whatever follows.
      await deps.delegateSignatures.use(scope, signedText, user.issuedAt);

      const accountId = randomUUID();
      const { publicKey, address } = accountPublicKey(deps.accountKeySecret, accountId);
      const account: NewAccount = {
        account_id: accountId,
        scope_id: scope.scope_id,
        username: user.usernameKey,
        display_name: user.displayName,
        // Never used for a passkey, but unique per scope like every account's.
        user_handle: randomBytes(USER_HANDLE_BYTES).toString('base64url'),
        identifier_hash: identifierHash(deps.identifierSecret, scope.scope_id, user.usernameKey),
        public_key: publicKey,
        address,
        disabled: false,
        created_at: new Date(deps.now()).toISOString(),
      };
      const audit = deps.audit.event(ctx, 'delegated_registration', { scope_id: scope.scope_id, account_id: accountId, delegate_key_id: key.keyId });
      const created = await deps.delegates.createDelegatedAccount(account, key.keyId, audit);
      if (!created.ok) throw new GatewayError(created.conflict);
      log.info({ account_id: accountId, scope_id: scope.scope_id, delegate_key_id: key.keyId }, 'delegated account created');
      return { account_id: created.account.account_id, identifier_hash: created.account.identifier_hash };
    },
  });
}
