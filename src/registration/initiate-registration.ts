import { generateRegistrationOptions } from '@simplewebauthn/server';
import type { RandomSource } from '../keys/random-pool.js';
import { z } from 'zod';
import { CHALLENGE_BYTES, saveChallenge } from '../ceremony/challenge-state.js';
import { limits } from '../domain/limits.js';
import { hintsSchema } from '../domain/scope.js';
import { GatewayError } from '../errors/gateway-error.js';
import { registrationUserSchema } from '../identity/user-input.js';
import { envelopeField } from '../rpc/envelope-field.js';
import { scopedMethod } from '../rpc/rpc-method.js';
import { requireRecentSignIn } from '../sessions/session-service.js';
import { checkInvite } from '../operators/operator-invites.js';
import type { OperatorInviteStore } from '../stores/operator-invite-store.js';
import type { AccountStore } from '../stores/account-store.js';
import type { ChallengeStore } from '../stores/challenge-store.js';
import type { TokenStore } from '../stores/token-store.js';
import { hasOwnUsername, tokenTarget } from '../tokens/registration-target.js';
import type { Account } from '../domain/account.js';

const USER_HANDLE_BYTES = 32;

export const initiateRegistrationParams = z.object({
  encrypted_user: envelopeField,
  hints: hintsSchema.optional().describe("WebAuthn hints for this ceremony, most preferred first; absent: the scope's hints"),
  mediation: z
    .literal('conditional')
    .optional()
    .describe('Automatic passkey upgrade (conditional create): only with X-Encrypted-Session from a recent sign-in; the answer then carries "mediation": "conditional"'),
  encrypted_invite: envelopeField
    .optional()
    .describe('Envelope of {"invite": token}: a new account in the operators\' scope needs an unused invite (npm run operator -- invite); other scopes ignore it'),
});
/** The plaintext of `encrypted_invite`: the token of an operator invite link. */
export const inviteSchema = z.object({ invite: z.string().max(200) });
export const initiateRegistrationResult = z.object({
  challenge_id: z.uuid(),
  encrypted_creation_challenge: z
    .string()
    .describe('Envelope of {"publicKey": PublicKeyCredentialCreationOptionsJSON}, with "mediation": "conditional" for an automatic upgrade'),
});

/** Whose passkey the ceremony creates: a new account's, or one more for the signed-in account. */
interface RegistrationTarget {
  username: string;
  usernameKey: string;
  displayName: string;
  userHandle: Uint8Array<ArrayBuffer>;
  accountId: string | null;
  exclude: { id: string; transports: string[] }[];
  tokenHash: string | null;
  userId: string | null;
  secondFactorOnly?: boolean;
}

interface Deps {
  accounts: AccountStore;
  challenges: ChallengeStore;
  tokens: TokenStore;
  identifierSecret: Buffer;
  now: () => number;
  random: RandomSource;
  /** The operators' scope (null without the console), where a new account needs an invite. */
  operatorScopeId: string | null;
  operatorInvites: Pick<OperatorInviteStore, 'isRedeemable'>;
}

export function initiateRegistration(deps: Deps) {
  return scopedMethod({
    name: 'initiateRegistration',
    summary: 'Start a passkey registration',
    description:
      'Without a session: a new account; a username that already has one is refused. With X-Encrypted-Session: ' +
      "another passkey for the session's account, its existing passkeys listed in excludeCredentials (a recovery session may do this). " +
      'With `registration_token` in encrypted_user (createRegistrationToken, createRecoveryToken): a passkey for the account the token names, ' +
      'created on first use; the token is used up when the registration completes.',
    params: initiateRegistrationParams,
    acceptsRecoverySession: true,
    envelopes: { encrypted_user: registrationUserSchema, encrypted_invite: inviteSchema },
    result: initiateRegistrationResult,
    sealedResult: { encrypted_creation_challenge: 'json' },
    async handler(params, ctx) {
      const { scope, clientKey } = ctx;
      const user = params.encrypted_user.open();
      // The gateway decides, here and only here, whether this ceremony may do without user presence.
      const automatic = params.mediation === 'conditional';
      // Operators are only ever invited: a new account of their scope needs an invite (checked before
      // its username is looked at, so no invite, no word on who exists).
      const operators = scope.scope_id === deps.operatorScopeId;
      let inviteHash: string | null = null;

      let target: RegistrationTarget;
      if (user.registrationToken !== null) {
        // The token alone says whose passkey this is; a session sent beside it plays no part.
        if (automatic) throw new GatewayError('invalid_params', 'an automatic passkey upgrade takes no registration token');
        // No token leads into the operators' scope, not even to an existing operator: a token is an
        // app's (or a recovery link's) way in, and operators sign in with their own passkeys or are invited.
        if (operators) throw new GatewayError('invite_invalid', "a registration token in the operators' scope");
        const found = await tokenTarget(deps, scope, user.registrationToken);
        if (found.kind === 'existing') {
          target = {
            ...(await existingAccountTarget(deps.accounts, found.account)),
            tokenHash: found.tokenHash,
            userId: null,
            secondFactorOnly: found.payload.purpose === 'second_factor',
          };
        } else {
          const taken = await deps.accounts.findAccountByUsername(scope.scope_id, found.username);
          if (taken !== null) throw new GatewayError('account_exists', 'the username the token names is taken');
          // An app's user without a username shows the authenticator its display name instead.
          const shown = hasOwnUsername({ username: found.username }) ? found.username : found.displayName;
          target = {
            ...newAccountTarget(deps.random, found.username, found.displayName, { tokenHash: found.tokenHash, userId: found.userId }, shown),
            secondFactorOnly: found.payload.purpose === 'second_factor',
          };
        }
        await ctx.limitUsername(target.usernameKey);
      } else {
        await ctx.limitUsername(user.usernameKey);
        const signedIn = await ctx.signedIn();
        if (automatic && signedIn === null) throw new GatewayError('session_invalid', 'an automatic passkey upgrade needs a session');
        if (signedIn === null) {
          if (operators) inviteHash = await checkInvite(deps.operatorInvites, params.encrypted_invite?.open().invite, deps.now());
          if ((await deps.accounts.findAccountByUsername(scope.scope_id, user.usernameKey)) !== null) throw new GatewayError('account_exists');
          target = newAccountTarget(deps.random, user.usernameKey, user.displayName, { tokenHash: null, userId: null }, user.username);
        } else {
          // Adding a passkey gives whoever holds the session a lasting way in: it needs a recent sign-in.
          requireRecentSignIn(signedIn.session, scope, deps.now());
          target = { ...(await existingAccountTarget(deps.accounts, signedIn.account)), tokenHash: null, userId: null };
        }
      }

      const options = await generateRegistrationOptions({
        rpName: scope.rp_name,
        rpID: scope.rp_id,
        challenge: new Uint8Array(deps.random.take(CHALLENGE_BYTES)),
        userName: target.username,
        userID: target.userHandle,
        userDisplayName: target.displayName,
        timeout: scope.timeout_ms,
        attestationType: scope.attestation,
        excludeCredentials: target.exclude,
        // An automatic upgrade shows no prompt, so no user verification either: the recent sign-in stands in for it.
        authenticatorSelection: { residentKey: scope.resident_key, userVerification: automatic ? 'preferred' : scope.user_verification },
        supportedAlgorithmIDs: scope.algorithms,
      });
      // The library asks for credProps itself; hints go on as given (it would also set an attachment).
      options.hints = params.hints ?? scope.hints;

      const challengeId = await saveChallenge(
        deps.challenges,
        {
          kind: 'registration',
          scope_id: scope.scope_id,
          challenge: options.challenge,
          key_thumbprint: clientKey.thumbprint,
          username_key: target.usernameKey,
          display_name: target.displayName,
          user_handle: options.user.id,
          account_id: target.accountId,
          automatic,
          token_hash: target.tokenHash,
          user_id: target.userId,
          device_name: user.deviceName,
          second_factor_only: target.secondFactorOnly === true,
          invite_hash: inviteHash,
        },
        scope.timeout_ms,
        ctx.clientIp,
      );
      return { challenge_id: challengeId, encrypted_creation_challenge: automatic ? { publicKey: options, mediation: 'conditional' } : { publicKey: options } };
    },
  });
}

/** One more passkey for an existing account, its passkeys excluded (up to the limit). */
async function existingAccountTarget(accounts: AccountStore, account: Account): Promise<Omit<RegistrationTarget, 'tokenHash' | 'userId'>> {
  const existing = await accounts.listCredentials(account.account_id);
  if (existing.length >= limits.credentialsPerAccount) throw new GatewayError('too_many_credentials');
  return {
    username: hasOwnUsername(account) ? account.username : account.display_name,
    usernameKey: account.username,
    displayName: account.display_name,
    userHandle: new Uint8Array(Buffer.from(account.user_handle, 'base64url')),
    accountId: account.account_id,
    exclude: existing.map((credential) => ({ id: credential.credential_id, transports: credential.transports })),
  };
}

/** The first passkey of a new account; `shown` is the username as given (the key is its normalized form). */
function newAccountTarget(random: RandomSource, usernameKey: string, displayName: string, token: Pick<RegistrationTarget, 'tokenHash' | 'userId'>, shown = usernameKey): RegistrationTarget {
  // The user handle is random bytes, never the username: clients base64url-decode it.
  return { username: shown, usernameKey, displayName, userHandle: new Uint8Array(random.take(USER_HANDLE_BYTES)), accountId: null, exclude: [], ...token };
}
