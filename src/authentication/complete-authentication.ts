import { timingSafeEqual } from 'node:crypto';
import { verifyAuthenticationResponse, type VerifiedAuthenticationResponse } from '@simplewebauthn/server';
import { z } from 'zod';
import { takeChallenge } from '../ceremony/challenge-state.js';
import { openJson } from '../ceremony/sealed-json.js';
import { sealEnvelope } from '../envelope/aes-gcm-envelope.js';
import { authenticationResponseSchema } from '../ceremony/webauthn-json.js';
import { GatewayError } from '../errors/gateway-error.js';
import { authenticationUserSchema } from '../identity/user-input.js';
import { envelopeField } from '../rpc/envelope-field.js';
import { scopedMethod } from '../rpc/rpc-method.js';
import type { SessionService } from '../sessions/session-service.js';
import type { AccountStore } from '../stores/account-store.js';
import type { ChallengeStore } from '../stores/challenge-store.js';

export const completeAuthenticationParams = z.object({
  challenge_id: z.string().min(1).max(64),
  encrypted_assertion: envelopeField,
  encrypted_user: envelopeField.optional(),
});
export const completeAuthenticationResult = z.object({
  encrypted_jwt: z.string().describe('Envelope of the bare compact session JWT'),
});

export function completeAuthentication(deps: { accounts: AccountStore; challenges: ChallengeStore; sessions: SessionService; now: () => number }) {
  return scopedMethod({
    name: 'completeAuthentication',
    summary: 'Finish a passkey sign-in',
    description: 'Consumes the challenge, verifies the assertion against the stored passkey and returns a sealed session JWT.',
    params: completeAuthenticationParams,
    result: completeAuthenticationResult,
    envelopes: { encrypted_assertion: authenticationResponseSchema, encrypted_user: authenticationUserSchema },
    async handler(params, { scope, clientKey, log }) {
      // Consumed first, so any failure below uses the challenge up as well.
      const state = await takeChallenge(deps.challenges, params.challenge_id, {
        kind: 'authentication',
        scopeId: scope.scope_id,
        keyFingerprint: clientKey.fingerprint,
      });
      const user = params.encrypted_user === undefined ? { key: null } : openJson(clientKey.key, params.encrypted_user, authenticationUserSchema, 'encrypted_user');
      if (user.key !== state.username) throw new GatewayError('challenge_mismatch', 'username differs from initiation');
      const response = openJson(clientKey.key, params.encrypted_assertion, authenticationResponseSchema, 'encrypted_assertion');

      // The credential must exist in this scope: another scope's passkey is simply unknown here.
      const credential = await deps.accounts.findCredential(scope.scope_id, response.id);
      if (credential === null) throw new GatewayError('verification_failed', 'unknown credential');
      const account = await deps.accounts.getAccount(credential.account_id);
      if (account === null) throw new GatewayError('verification_failed', 'credential without account');
      // A sign-in that named a user must use that user's passkey (an unknown name never matches).
      if (state.username !== null && account.username !== state.username) throw new GatewayError('verification_failed', 'credential of another account');
      // userHandle is null for security keys; when present it must be this account's.
      if (response.response.userHandle !== undefined && !sameBase64url(response.response.userHandle, account.user_handle)) {
        throw new GatewayError('verification_failed', 'userHandle of another account');
      }
      if (account.disabled) throw new GatewayError('account_disabled');

      let verification: VerifiedAuthenticationResponse;
      try {
        verification = await verifyAuthenticationResponse({
          response,
          expectedChallenge: state.challenge,
          expectedOrigin: scope.origins,
          expectedRPID: scope.rp_id,
          // The counter rule is ours (below), applied only once the signature has verified.
          credential: { id: credential.credential_id, publicKey: Buffer.from(credential.public_key, 'base64url'), counter: 0 },
          requireUserVerification: scope.user_verification === 'required',
        });
      } catch (error) {
        throw new GatewayError('verification_failed', error instanceof Error ? error.message : 'assertion rejected');
      }
      if (!verification.verified) throw new GatewayError('verification_failed', 'assertion not verified');
      const { newCounter, credentialBackedUp } = verification.authenticationInfo;

      // A counter that does not grow (both non-zero) means two copies of the key may exist.
      if (credential.counter > 0 && newCounter > 0 && newCounter <= credential.counter) {
        await deps.accounts.markCredentialPossiblyCloned(scope.scope_id, credential.credential_id);
        log.warn({ credential_id: credential.credential_id, stored: credential.counter, received: newCounter }, 'signature counter regression');
        throw new GatewayError('counter_regression');
      }
      await deps.accounts.recordCredentialUse(scope.scope_id, credential.credential_id, {
        counter: Math.max(newCounter, credential.counter),
        backed_up: credentialBackedUp,
        last_used_at: new Date(deps.now()).toISOString(),
      });

      const jwt = await deps.sessions.issue(account, credential.credential_id, scope);
      log.info({ account_id: account.account_id, scope_id: scope.scope_id }, 'signed in');
      // The plaintext is the bare compact JWT, not a JSON string: the SDK splits it on '.'.
      return { encrypted_jwt: sealEnvelope(clientKey.key, jwt) };
    },
  });
}

function sameBase64url(a: string, b: string): boolean {
  const left = Buffer.from(a, 'base64url');
  const right = Buffer.from(b, 'base64url');
  return left.length === right.length && timingSafeEqual(left, right);
}
