import { randomUUID } from 'node:crypto';
import { verifyRegistrationResponse, type VerifiedRegistrationResponse } from '@simplewebauthn/server';
import { z } from 'zod';
import { takeChallenge } from '../ceremony/challenge-state.js';
import { openJson } from '../ceremony/sealed-json.js';
import { coseAlgorithm } from '../ceremony/cose-algorithm.js';
import { registrationResponseSchema } from '../ceremony/webauthn-json.js';
import { GatewayError } from '../errors/gateway-error.js';
import { identifierHash } from '../identity/identifier-hash.js';
import { registrationUserSchema } from '../identity/user-input.js';
import { envelopeField } from '../rpc/envelope-field.js';
import { scopedMethod } from '../rpc/rpc-method.js';
import type { Account, AccountStore, Credential } from '../stores/account-store.js';
import type { ChallengeStore } from '../stores/challenge-store.js';

export const completeRegistrationParams = z.object({
  challenge_id: z.string().min(1).max(64),
  encrypted_attestation: envelopeField,
  encrypted_user: envelopeField,
});
export const completeRegistrationResult = z.object({
  account_id: z.uuid(),
  identifier_hash: z.string().regex(/^0x[0-9a-f]{64}$/),
});

export function completeRegistration(deps: { accounts: AccountStore; challenges: ChallengeStore; identifierSecret: Buffer }) {
  return scopedMethod({
    name: 'completeRegistration',
    summary: 'Finish a passkey registration',
    description: 'Consumes the challenge, verifies the attestation and creates the account with its first passkey in one transaction.',
    params: completeRegistrationParams,
    result: completeRegistrationResult,
    envelopes: { encrypted_attestation: registrationResponseSchema, encrypted_user: registrationUserSchema },
    async handler(params, { scope, clientKey, log }) {
      // Consumed first, so any failure below uses the challenge up as well.
      const state = await takeChallenge(deps.challenges, params.challenge_id, {
        kind: 'registration',
        scopeId: scope.scope_id,
        keyFingerprint: clientKey.fingerprint,
      });
      const user = openJson(clientKey.key, params.encrypted_user, registrationUserSchema, 'encrypted_user');
      if (user.key !== state.username || state.user_handle === null) throw new GatewayError('challenge_mismatch', 'username differs from initiation');
      const response = openJson(clientKey.key, params.encrypted_attestation, registrationResponseSchema, 'encrypted_attestation');

      let verification: VerifiedRegistrationResponse;
      try {
        verification = await verifyRegistrationResponse({
          response,
          expectedChallenge: state.challenge,
          expectedOrigin: scope.origins,
          expectedRPID: scope.rp_id,
          requireUserVerification: scope.user_verification === 'required',
          supportedAlgorithmIDs: scope.algorithms,
        });
      } catch (error) {
        throw new GatewayError('verification_failed', error instanceof Error ? error.message : 'attestation rejected');
      }
      const info = verification.registrationInfo;
      if (!verification.verified || info === undefined) throw new GatewayError('verification_failed', 'attestation not verified');

      const now = new Date().toISOString();
      const account: Account = {
        account_id: randomUUID(),
        scope_id: scope.scope_id,
        username: state.username,
        display_name: state.display_name ?? state.username,
        user_handle: state.user_handle,
        identifier_hash: identifierHash(deps.identifierSecret, scope.scope_id, state.username),
        created_at: now,
      };
      const credential: Credential = {
        credential_id: info.credential.id,
        account_id: account.account_id,
        scope_id: scope.scope_id,
        public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
        algorithm: coseAlgorithm(info.credential.publicKey),
        counter: info.credential.counter,
        transports: response.response.transports,
        aaguid: info.aaguid,
        device_type: info.credentialDeviceType,
        backed_up: info.credentialBackedUp,
        created_at: now,
      };
      const created = await deps.accounts.createAccountWithCredential(account, credential);
      if (!created.ok) throw new GatewayError(created.conflict);
      log.info({ account_id: account.account_id, scope_id: scope.scope_id }, 'account registered');
      return { account_id: account.account_id, identifier_hash: account.identifier_hash };
    },
  });
}
