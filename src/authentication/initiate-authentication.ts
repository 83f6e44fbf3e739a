import { generateAuthenticationOptions } from '@simplewebauthn/server';
import { z } from 'zod';
import { saveChallenge, type NamedSigner } from '../ceremony/challenge-state.js';
import { authenticationUserSchema } from '../identity/user-input.js';
import { hintsSchema } from '../domain/scope.js';
import { envelopeField } from '../rpc/envelope-field.js';
import { scopedMethod } from '../rpc/rpc-method.js';
import type { AccountStore } from '../stores/account-store.js';
import type { ChallengeStore } from '../stores/challenge-store.js';
import { decoyCredentials } from './decoy-credentials.js';
import type { DecoyShapeCache } from './decoy-shape-cache.js';

export const initiateAuthenticationParams = z.object({
  encrypted_user: envelopeField.optional(),
  regenerate_seed: z.boolean().optional().describe('accepted for SDK compatibility; ignored'),
  hints: hintsSchema.optional().describe("WebAuthn hints for this ceremony, most preferred first; absent: the scope's hints"),
});
export const initiateAuthenticationResult = z.object({
  challenge_id: z.uuid(),
  encrypted_request_challenge: z.string().describe('Envelope of {"publicKey": PublicKeyCredentialRequestOptionsJSON}'),
});

export function initiateAuthentication(deps: {
  accounts: AccountStore;
  challenges: ChallengeStore;
  identifierSecret: Buffer;
  decoyShapes: Pick<DecoyShapeCache, 'sample'>;
}) {
  return scopedMethod({
    name: 'initiateAuthentication',
    summary: 'Start a passkey sign-in',
    description:
      'With a username: request options listing its passkeys (an unknown username gets an indistinguishable answer). ' +
      'Without one (absent, null or empty): a usernameless sign-in with a discoverable credential.',
    params: initiateAuthenticationParams,
    envelopes: { encrypted_user: authenticationUserSchema },
    result: initiateAuthenticationResult,
    sealedResult: { encrypted_request_challenge: 'json' },
    async handler(params, ctx) {
      const { scope, clientKey } = ctx;
      const { usernameKey } = params.encrypted_user?.open() ?? { usernameKey: null };
      if (usernameKey !== null) await ctx.limitUsername(usernameKey);

      let allowCredentials: { id: string; transports?: string[] }[] = [];
      let namedSigner: NamedSigner | null = null;
      if (usernameKey !== null) {
        // The shape sample is asked for whether or not the user exists, so its first load (and
        // the refreshes it starts) cost a known and an unknown username alike.
        const [found, shapes] = await Promise.all([
          deps.accounts.findAccountWithCredentials(scope.scope_id, usernameKey),
          deps.decoyShapes.sample(scope.scope_id),
        ]);
        // An account without a passkey (a delegate key created it) cannot sign in: it is answered
        // as an unknown username is, so the answer does not tell that the username is taken.
        if (found === null || found.credentials.length === 0) {
          allowCredentials = decoyCredentials(deps.identifierSecret, scope.scope_id, usernameKey, shapes);
          namedSigner = { account: null, credentials: [] };
        } else {
          allowCredentials = found.credentials.map((credential) => ({ id: credential.credential_id, transports: credential.transports }));
          namedSigner = {
            account: found.account,
            credentials: found.credentials.map(({ credential_id, public_key, counter, device_type, backed_up }) => ({ credential_id, public_key, counter, device_type, backed_up })),
          };
        }
      }

      const options = await generateAuthenticationOptions({
        rpID: scope.rp_id,
        allowCredentials,
        userVerification: scope.user_verification,
        timeout: scope.timeout_ms,
      });
      options.hints = params.hints ?? scope.hints;
      const challengeId = await saveChallenge(
        deps.challenges,
        {
          kind: 'authentication',
          scope_id: scope.scope_id,
          challenge: options.challenge,
          key_thumbprint: clientKey.thumbprint,
          username_key: usernameKey,
          named_signer: namedSigner,
        },
        scope.timeout_ms,
        ctx.clientIp,
      );
      return { challenge_id: challengeId, encrypted_request_challenge: { publicKey: options } };
    },
  });
}
