import { generateAuthenticationOptions } from '@simplewebauthn/server';
import { z } from 'zod';
import type { CeremonyRateLimiter } from '../abuse/ceremony-rate-limiter.js';
import { saveChallenge, type NamedSigner } from '../ceremony/challenge-state.js';
import { openJson, sealJson } from '../ceremony/sealed-json.js';
import { authenticationUserSchema } from '../identity/user-input.js';
import { envelopeField } from '../rpc/envelope-field.js';
import { scopedMethod } from '../rpc/rpc-method.js';
import type { AccountStore } from '../stores/account-store.js';
import type { ChallengeStore } from '../stores/challenge-store.js';
import { decoyCredentials } from './decoy-credentials.js';
import type { DecoyShapeCache } from './decoy-shape-cache.js';

export const initiateAuthenticationParams = z.object({
  encrypted_user: envelopeField.optional(),
  regenerate_seed: z.boolean().optional().describe('accepted for SDK compatibility; ignored'),
});
export const initiateAuthenticationResult = z.object({
  challenge_id: z.uuid(),
  encrypted_request_challenge: z.string().describe('Envelope of {"publicKey": PublicKeyCredentialRequestOptionsJSON}'),
});

export function initiateAuthentication(deps: {
  accounts: AccountStore;
  challenges: ChallengeStore;
  identifierSecret: Buffer;
  rateLimiter: CeremonyRateLimiter;
  decoyShapes: Pick<DecoyShapeCache, 'sample'>;
}) {
  return scopedMethod({
    name: 'initiateAuthentication',
    summary: 'Start a passkey sign-in',
    description:
      'With a username: request options listing its passkeys (an unknown username gets an indistinguishable answer). ' +
      'Without one (absent, null or empty): a usernameless sign-in with a discoverable credential.',
    params: initiateAuthenticationParams,
    result: initiateAuthenticationResult,
    envelopes: { encrypted_user: authenticationUserSchema },
    async handler(params, { scope, clientKey, clientIp }) {
      const user = params.encrypted_user === undefined ? { key: null } : openJson(clientKey.key, params.encrypted_user, authenticationUserSchema, 'encrypted_user');
      if (user.key !== null) await deps.rateLimiter.consumeUser(scope, user.key);

      let allowCredentials: { id: string; transports?: string[] }[] = [];
      let namedSigner: NamedSigner | undefined;
      if (user.key !== null) {
        // The shape sample is asked for whether or not the user exists, so its first load (and
        // the refreshes it starts) cost a known and an unknown username alike.
        const [found, shapes] = await Promise.all([
          deps.accounts.findAccountWithCredentials(scope.scope_id, user.key),
          deps.decoyShapes.sample(scope.scope_id),
        ]);
        if (found === null) {
          allowCredentials = decoyCredentials(deps.identifierSecret, scope.scope_id, user.key, shapes);
          namedSigner = { account: null, credentials: [] };
        } else {
          allowCredentials = found.credentials.map((credential) => ({ id: credential.credential_id, transports: credential.transports }));
          namedSigner = {
            account: found.account,
            credentials: found.credentials.map(({ credential_id, public_key, device_type, backed_up }) => ({ credential_id, public_key, device_type, backed_up })),
          };
        }
      }

      const options = await generateAuthenticationOptions({
        rpID: scope.rp_id,
        allowCredentials: allowCredentials as Parameters<typeof generateAuthenticationOptions>[0]['allowCredentials'],
        userVerification: scope.user_verification,
        timeout: scope.timeout_ms,
      });
      const challengeId = await saveChallenge(
        deps.challenges,
        {
          kind: 'authentication',
          scope_id: scope.scope_id,
          challenge: options.challenge,
          key_thumbprint: clientKey.thumbprint,
          username: user.key,
          display_name: null,
          user_handle: null,
          account_id: namedSigner?.account?.account_id ?? null,
          ...(namedSigner === undefined ? {} : { named_signer: namedSigner }),
        },
        scope.timeout_ms,
        clientIp,
      );
      return { challenge_id: challengeId, encrypted_request_challenge: sealJson(clientKey.key, { publicKey: options }) };
    },
  });
}
