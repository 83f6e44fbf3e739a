import type { RandomSource } from '../keys/random-pool.js';
import { generateAuthenticationOptions } from '@simplewebauthn/server';
import { z } from 'zod';
import { CHALLENGE_BYTES, saveChallenge, type NamedSigner } from '../ceremony/challenge-state.js';
import { authenticationUserSchema } from '../identity/user-input.js';
import { hintsSchema } from '../domain/scope.js';
import { envelopeField } from '../rpc/envelope-field.js';
import { scopedMethod } from '../rpc/rpc-method.js';
import type { Credential } from '../domain/account.js';
import type { AccountStore } from '../stores/account-store.js';
import type { ChallengeStore } from '../stores/challenge-store.js';
import { decoyCredentials } from './decoy-credentials.js';
import type { DecoyShapeCache } from './decoy-shape-cache.js';
import type { TokenStore } from '../stores/token-store.js';
import { GatewayError } from '../errors/gateway-error.js';
import { tokenHash } from '../tokens/token-secret.js';

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
  tokens: TokenStore;
  now: () => number;
  random: RandomSource;
}) {
  return scopedMethod({
    name: 'initiateAuthentication',
    summary: 'Start a passkey sign-in',
    description:
      'With a username: request options listing its passkeys (an unknown username gets an indistinguishable answer). ' +
      'Without one (absent, null or empty): a usernameless sign-in with a discoverable credential. ' +
      'With `sign_in_token` (createSignInToken): a second-factor sign-in offering only that user\'s passkeys; the token is used up at completion.',
    params: initiateAuthenticationParams,
    envelopes: { encrypted_user: authenticationUserSchema },
    result: initiateAuthenticationResult,
    sealedResult: { encrypted_request_challenge: 'json' },
    async handler(params, ctx) {
      const { scope, clientKey } = ctx;
      const { usernameKey, signInToken } = params.encrypted_user?.open() ?? { usernameKey: null, signInToken: null };
      if (usernameKey !== null) await ctx.limitUsername(usernameKey);

      let allowCredentials: { id: string; transports?: string[] }[] = [];
      let namedSigner: NamedSigner | null = null;
      let signInTokenHash: string | null = null;
      if (signInToken !== null) {
        // A second factor: the app names its user with the token, and only that user's passkeys may answer.
        signInTokenHash = tokenHash(deps.identifierSecret, signInToken);
        const token = await deps.tokens.findToken(signInTokenHash, 'sign_in', scope.scope_id, new Date(deps.now()).toISOString());
        const account = token?.account_id == null ? null : await deps.accounts.getAccount(token.account_id);
        if (account === null || account.scope_id !== scope.scope_id) throw new GatewayError('token_invalid');
        await ctx.limitUsername(account.username);
        const credentials = await deps.accounts.listCredentials(account.account_id);
        allowCredentials = credentials.map((credential) => ({ id: credential.credential_id, transports: credential.transports }));
        namedSigner = {
          account,
          credentials: credentials.map(signerCredential),
        };
      } else if (usernameKey !== null) {
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
            credentials: found.credentials.map(signerCredential),
          };
        }
      }

      const options = await generateAuthenticationOptions({
        rpID: scope.rp_id,
        challenge: new Uint8Array(deps.random.take(CHALLENGE_BYTES)),
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
          sign_in_token_hash: signInTokenHash,
        },
        scope.timeout_ms,
        ctx.clientIp,
      );
      return { challenge_id: challengeId, encrypted_request_challenge: { publicKey: options } };
    },
  });
}

/** What completion needs of a named user's passkey, kept with the challenge. */
function signerCredential({ credential_id, public_key, counter, device_type, backed_up, second_factor_only }: Credential): NamedSigner['credentials'][number] {
  return { credential_id, public_key, counter, device_type, backed_up, second_factor_only };
}
