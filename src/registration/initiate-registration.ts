import { randomBytes } from 'node:crypto';
import { generateRegistrationOptions } from '@simplewebauthn/server';
import { z } from 'zod';
import type { CeremonyRateLimiter } from '../abuse/ceremony-rate-limiter.js';
import { saveChallenge } from '../ceremony/challenge-state.js';
import { openJson, sealJson } from '../ceremony/sealed-json.js';
import { GatewayError } from '../errors/gateway-error.js';
import { registrationUserSchema } from '../identity/user-input.js';
import { envelopeField } from '../rpc/envelope-field.js';
import { limits } from '../rpc/limits.js';
import { scopedMethod } from '../rpc/rpc-method.js';
import { optionalSession, type SessionDeps } from '../sessions/session-context.js';
import { requireRecentSignIn } from '../sessions/session-service.js';
import type { AccountStore } from '../stores/account-store.js';
import type { ChallengeStore } from '../stores/challenge-store.js';

const USER_HANDLE_BYTES = 32;

export const initiateRegistrationParams = z.object({ encrypted_user: envelopeField });
export const initiateRegistrationResult = z.object({
  challenge_id: z.uuid(),
  encrypted_creation_challenge: z.string().describe('Envelope of {"publicKey": PublicKeyCredentialCreationOptionsJSON}'),
});

export function initiateRegistration(deps: SessionDeps & { accounts: AccountStore; challenges: ChallengeStore; rateLimiter: CeremonyRateLimiter; now: () => number }) {
  return scopedMethod({
    name: 'initiateRegistration',
    summary: 'Start a passkey registration',
    description:
      'Without a session: a new account; a username that already has one is refused. With X-Encrypted-Session: ' +
      "another passkey for the session's account, its existing passkeys listed in excludeCredentials.",
    params: initiateRegistrationParams,
    result: initiateRegistrationResult,
    envelopes: { encrypted_user: registrationUserSchema },
    async handler(params, ctx) {
      const { scope, clientKey } = ctx;
      const user = openJson(clientKey.key, params.encrypted_user, registrationUserSchema, 'encrypted_user');
      await deps.rateLimiter.consumeUser(scope, user.key);
      const signedIn = await optionalSession(ctx, deps);

      let target: { username: string; key: string; displayName: string; userHandle: Uint8Array<ArrayBuffer>; accountId: string | null; exclude: { id: string; transports: string[] }[] };
      if (signedIn === null) {
        if ((await deps.accounts.findAccountByUsername(scope.scope_id, user.key)) !== null) throw new GatewayError('account_exists');
        // The user handle is random bytes, never the username: clients base64url-decode it.
        target = { username: user.username, key: user.key, displayName: user.displayName, userHandle: new Uint8Array(randomBytes(USER_HANDLE_BYTES)), accountId: null, exclude: [] };
      } else {
        // Adding a passkey gives whoever holds the session a lasting way in: it needs a recent sign-in.
        requireRecentSignIn(signedIn.session, scope, deps.now());
        const { account } = signedIn;
        const existing = await deps.accounts.listCredentials(account.account_id);
        if (existing.length >= limits.credentialsPerAccount) throw new GatewayError('too_many_credentials');
        target = {
          username: account.username,
          key: account.username,
          displayName: account.display_name,
          userHandle: new Uint8Array(Buffer.from(account.user_handle, 'base64url')),
          accountId: account.account_id,
          exclude: existing.map((credential) => ({ id: credential.credential_id, transports: credential.transports })),
        };
      }

      const options = await generateRegistrationOptions({
        rpName: scope.rp_name,
        rpID: scope.rp_id,
        userName: target.username,
        userID: target.userHandle,
        userDisplayName: target.displayName,
        timeout: scope.timeout_ms,
        attestationType: scope.attestation,
        excludeCredentials: target.exclude as Parameters<typeof generateRegistrationOptions>[0]['excludeCredentials'],
        authenticatorSelection: { residentKey: scope.resident_key, userVerification: scope.user_verification },
        supportedAlgorithmIDs: scope.algorithms,
      });

      const challengeId = await saveChallenge(
        deps.challenges,
        {
          kind: 'registration',
          scope_id: scope.scope_id,
          challenge: options.challenge,
          key_thumbprint: clientKey.thumbprint,
          username: target.key,
          display_name: target.displayName,
          user_handle: options.user.id,
          account_id: target.accountId,
        },
        scope.timeout_ms,
        ctx.clientIp,
      );
      return { challenge_id: challengeId, encrypted_creation_challenge: sealJson(clientKey.key, { publicKey: options }) };
    },
  });
}
