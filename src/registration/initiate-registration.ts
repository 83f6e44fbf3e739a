import { randomBytes } from 'node:crypto';
import { generateRegistrationOptions } from '@simplewebauthn/server';
import { z } from 'zod';
import { saveChallenge } from '../ceremony/challenge-state.js';
import { openJson, sealJson } from '../ceremony/sealed-json.js';
import { GatewayError } from '../errors/gateway-error.js';
import { registrationUserSchema } from '../identity/user-input.js';
import { envelopeField } from '../rpc/envelope-field.js';
import { scopedMethod } from '../rpc/rpc-method.js';
import type { AccountStore } from '../stores/account-store.js';
import type { ChallengeStore } from '../stores/challenge-store.js';

const USER_HANDLE_BYTES = 32;

export const initiateRegistrationParams = z.object({ encrypted_user: envelopeField });
export const initiateRegistrationResult = z.object({
  challenge_id: z.uuid(),
  encrypted_creation_challenge: z.string().describe('Envelope of {"publicKey": PublicKeyCredentialCreationOptionsJSON}'),
});

export function initiateRegistration(deps: { accounts: AccountStore; challenges: ChallengeStore }) {
  return scopedMethod({
    name: 'initiateRegistration',
    summary: 'Start a passkey registration',
    description: 'Opens the user, refuses a username that already has an account in the scope, and returns sealed WebAuthn creation options.',
    params: initiateRegistrationParams,
    result: initiateRegistrationResult,
    envelopes: { encrypted_user: registrationUserSchema },
    async handler(params, { scope, clientKey }) {
      const user = openJson(clientKey.key, params.encrypted_user, registrationUserSchema, 'encrypted_user');
      if ((await deps.accounts.findAccountByUsername(scope.scope_id, user.key)) !== null) throw new GatewayError('account_exists');

      // The user handle is random bytes, never the username: clients base64url-decode it.
      const userHandle = randomBytes(USER_HANDLE_BYTES);
      const options = await generateRegistrationOptions({
        rpName: scope.rp_name,
        rpID: scope.rp_id,
        userName: user.username,
        userID: userHandle,
        userDisplayName: user.displayName,
        timeout: scope.timeout_ms,
        attestationType: scope.attestation,
        authenticatorSelection: { residentKey: scope.resident_key, userVerification: scope.user_verification },
        supportedAlgorithmIDs: scope.algorithms,
      });

      const challengeId = await saveChallenge(
        deps.challenges,
        {
          kind: 'registration',
          scope_id: scope.scope_id,
          challenge: options.challenge,
          key_fingerprint: clientKey.fingerprint,
          username: user.key,
          display_name: user.displayName,
          user_handle: options.user.id,
          account_id: null,
        },
        scope.timeout_ms,
      );
      return { challenge_id: challengeId, encrypted_creation_challenge: sealJson(clientKey.key, { publicKey: options }) };
    },
  });
}
