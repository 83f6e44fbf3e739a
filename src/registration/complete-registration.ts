import { randomUUID } from 'node:crypto';
import { verifyRegistrationResponse } from '@simplewebauthn/server';
import type { CallTracing } from '../tracing/call-tracing.js';
import { z } from 'zod';
import type { NewAuditEvent } from '../domain/audit-event.js';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { challengeIdSchema, takeChallenge, type RegistrationState } from '../ceremony/challenge-state.js';
import { coseAlgorithm } from '../ceremony/cose-algorithm.js';
import { passkeyProvider } from '../ceremony/passkey-provider.js';
import { registrationResponseSchema, type RegistrationResponse } from '../ceremony/webauthn-json.js';
import { GatewayError } from '../errors/gateway-error.js';
import { accountPublicKey } from '../identity/account-key.js';
import { identifierHash } from '../identity/identifier-hash.js';
import { registrationUserSchema } from '../identity/user-input.js';
import { envelopeField } from '../rpc/envelope-field.js';
import { limits } from '../domain/limits.js';
import { scopedMethod, type ScopedContext, type SignedIn } from '../rpc/rpc-method.js';
import type { Scope } from '../domain/scope.js';
import { requireRecentSignIn, type SessionService } from '../sessions/session-service.js';
import type { Account, Credential, NewAccount } from '../domain/account.js';
import type { AccountStore } from '../stores/account-store.js';
import type { ChallengeStore } from '../stores/challenge-store.js';
import { verifiedOrFail } from '../ceremony/verified-or-fail.js';
import { checkFraming } from '../ceremony/framing-policy.js';
import { checkBackupEligibility } from '../ceremony/backup-eligibility.js';
import { attestationVerdict } from '../attestation/attestation-trust.js';
import { isStandInId } from '../authentication/decoy-credentials.js';
import type { AuthenticatorMetadata } from '../attestation/authenticator-metadata.js';
import { redeemInvite } from '../operators/operator-invites.js';
import type { RegistrationExtras } from '../domain/account.js';
import { newRecoveryCodeSet, RECOVERY_CODE_COUNT } from '../identity/recovery-codes.js';
import { hasOwnUsername } from '../tokens/registration-target.js';
import { tokenHash } from '../tokens/token-secret.js';
import { sameText } from '../ceremony/same-text.js';
import type { RandomSource } from '../keys/random-pool.js';

export const completeRegistrationParams = z.object({
  challenge_id: challengeIdSchema,
  encrypted_attestation: envelopeField,
  encrypted_user: envelopeField,
});
export const completeRegistrationResult = z.object({
  account_id: z.uuid(),
  identifier_hash: z.string().regex(/^0x[0-9a-f]{64}$/),
  encrypted_jwt: z.string().describe('Envelope of a session JWT for the account, so no second ceremony is needed after sign-up'),
  user_id: z.string().nullable().describe("the app's own user id of the account (createRegistrationToken); null for accounts without one"),
  encrypted_recovery_codes: z
    .string()
    .optional()
    .describe("On an account's first passkey, in scopes with recovery_codes on: envelope of {codes: [ten single-use codes], remaining: 10}. Shown once; only keyed hashes are kept"),
});

interface Deps {
  accounts: AccountStore;
  challenges: ChallengeStore;
  sessions: SessionService;
  identifierSecret: Buffer;
  accountKeySecret: Buffer;
  now: () => number;
  audit: AuditRecorder;
  /** The FIDO metadata attestation is verified against (scopes with `attestation: direct` or `enterprise`). */
  metadata: Pick<AuthenticatorMetadata, 'current'>;
  /** Verification runs as a span of its own when tracing is on. */
  tracing: Pick<CallTracing, 'child'>;
  /** The operators' scope (null without the console): its new accounts use up the invite initiation checked. */
  operatorScopeId: string | null;
  /** The first passkey's recovery codes. */
  random: RandomSource;
}

/** The client's credProps output: a claim of the browser, unsigned, kept as what it said. */
const credPropsSchema = z.object({ rk: z.boolean() });

export function completeRegistration(deps: Deps) {
  return scopedMethod({
    name: 'completeRegistration',
    summary: 'Finish a passkey registration',
    description:
      'Consumes the challenge, verifies the attestation and creates the account with its first passkey in one transaction ' +
      "(or, for a registration started with a session, adds the passkey to the session's account). Returns a session for the account.",
    params: completeRegistrationParams,
    envelopes: { encrypted_attestation: registrationResponseSchema, encrypted_user: registrationUserSchema },
    result: completeRegistrationResult,
    sealedResult: { encrypted_jwt: 'text', encrypted_recovery_codes: 'json' },
    acceptsRecoverySession: true,
    async handler(params, ctx) {
      const { scope, clientKey, log } = ctx;
      // Consumed first, so any failure below uses the challenge up as well.
      const state = await takeChallenge(deps.challenges, params.challenge_id, {
        kind: 'registration',
        scopeId: scope.scope_id,
        keyThumbprint: clientKey.thumbprint,
      });
      // Belt and braces: initiation checked the invite, the account's transaction uses it up.
      const operatorInvite = state.account_id === null && scope.scope_id === deps.operatorScopeId ? (state.invite_hash ?? null) : undefined;
      if (operatorInvite === null) throw new GatewayError('invite_invalid', 'operator registration without an invite');
      const user = params.encrypted_user.open();
      await ctx.limitUsername(state.username_key);
      const response = params.encrypted_attestation.open();
      let signedIn: SignedIn | null = null;
      let account: Account | null;
      if (state.token_hash !== null) {
        // A token's registration is bound to the token it was started with, and to nothing else.
        if (user.registrationToken === null || !sameText(tokenHash(deps.identifierSecret, user.registrationToken), state.token_hash)) {
          throw new GatewayError('challenge_mismatch', 'registration token differs from initiation');
        }
        account = state.account_id === null ? null : await tokenAccount(deps.accounts, state, scope);
      } else {
        // A new account is bound to the username it was started for; an added passkey to the session's account.
        signedIn = state.account_id === null ? null : await sessionAccount(ctx, state, deps.now);
        account = signedIn?.account ?? null;
        if (account === null && user.usernameKey !== state.username_key) throw new GatewayError('challenge_mismatch', 'username differs from initiation');
      }

      // Framed ceremonies only under a page the scope lists; the library does not look at it for registration.
      checkFraming(response.response.clientDataJSON, scope.top_origins);
      const verified = await verifiedCredential(response, state, scope, account?.account_id ?? randomUUID(), deps);
      const { userVerified } = verified;
      // Every passkey of an account enrolled as a second factor is one too.
      const credential: Credential = { ...verified.credential, second_factor_only: verified.credential.second_factor_only || account?.second_factor_only === true };
      const audit = deps.audit.event(ctx, account === null ? 'registration' : 'credential_added', {
        scope_id: scope.scope_id,
        account_id: credential.account_id,
        credential_id: credential.credential_id,
      });
      const token = state.token_hash === null ? undefined : { token_hash: state.token_hash, now: new Date(deps.now()).toISOString() };
      // Ten recovery codes come with an account's first passkey, where the scope has them and the account a username to recover by.
      const recovery = account === null && scope.recovery_codes === 'on' && hasOwnUsername({ username: state.username_key }) ? newRecoveryCodeSet(deps.identifierSecret, credential.account_id, deps.random) : null;
      const result =
        account === null
          ? await createAccount(state, credential, scope, audit, deps, {
              token,
              recoveryCodeHashes: recovery?.hashes,
              invite: operatorInvite === undefined ? undefined : redeemInvite(operatorInvite, deps.now()),
            })
          : await addPasskey(account, credential, audit, deps, token);
      // A recovery session does its one thing once: the passkey it added is the way back in.
      if (signedIn?.session.restricted === 'recovery') await deps.sessions.revoke(signedIn.session);
      log.info({ account_id: result.account_id, scope_id: scope.scope_id, added: account !== null }, 'passkey registered');

      // The session is started by the new passkey: deleting an older one leaves it working. An
      // automatic upgrade proved no user presence: its session is only as recent (and as verified)
      // as the sign-in it upgraded, or silent upgrades every few minutes would keep a session
      // "recent" for ever.
      const upgraded = state.automatic && signedIn !== null ? signedIn.session : undefined;
      // A second-factor passkey's registration proved no first factor: its session is restricted
      // (refused as a primary one whatever the scope says), as its sign-ins without a sign-in token are refused.
      const jwt = deps.sessions.issue(result, credential.credential_id, scope, clientKey.thumbprint, userVerified, {
        upgraded,
        ...(credential.second_factor_only ? { restricted: 'second_factor' as const } : {}),
      });
      return {
        account_id: result.account_id,
        identifier_hash: result.identifier_hash,
        encrypted_jwt: jwt,
        user_id: result.user_id,
        ...(recovery === null ? {} : { encrypted_recovery_codes: { codes: recovery.codes, remaining: RECOVERY_CODE_COUNT } }),
      };
    },
  });
}

/** The existing account a token's registration adds to, as it is now (gone or moved: the token no longer applies). */
async function tokenAccount(accounts: AccountStore, state: RegistrationState, scope: Scope): Promise<Account> {
  const account = state.account_id === null ? null : await accounts.getAccount(state.account_id);
  if (account === null || account.scope_id !== scope.scope_id) throw new GatewayError('token_invalid', 'the account is gone');
  if (account.disabled) throw new GatewayError('account_disabled');
  return account;
}

async function sessionAccount(ctx: ScopedContext, state: RegistrationState, now: () => number): Promise<SignedIn> {
  const signedIn = await ctx.signedIn();
  if (signedIn === null || signedIn.account.account_id !== state.account_id) throw new GatewayError('challenge_mismatch', 'added passkey without the same session');
  requireRecentSignIn(signedIn.session, ctx.scope, now());
  return signedIn;
}

async function verifiedCredential(
  response: RegistrationResponse,
  state: RegistrationState,
  scope: Scope,
  accountId: string,
  deps: Pick<Deps, 'now' | 'metadata' | 'tracing' | 'identifierSecret'>,
): Promise<{ credential: Credential; userVerified: boolean }> {
  const { registrationInfo: info } = await verifiedOrFail(() =>
    deps.tracing.child('verify registration', () => verifyRegistrationResponse({
      response,
      expectedChallenge: state.challenge,
      expectedOrigin: scope.origins,
      expectedRPID: scope.rp_id,
      // Only an automatic upgrade, as initiation decided and stored, goes without presence and verification.
      requireUserPresence: !state.automatic,
      requireUserVerification: !state.automatic && scope.user_verification === 'required',
      supportedAlgorithmIDs: scope.algorithms,
    })),
  );
  const attestation = attestationVerdict(scope, { fmt: info.fmt, aaguid: info.aaguid, attestationObject: info.attestationObject }, deps.metadata.current(), new Date(deps.now()));
  checkBackupEligibility(scope.backup_eligibility, info.credentialDeviceType);
  // An id the gateway may list as a stand-in for an unknown username (decoy-credentials.ts) is
  // answered as a taken id is, after the same verification: were only ids some account holds
  // refused, a passkey claiming each listed id would tell a real account's passkey from a stand-in.
  if (isStandInId(deps.identifierSecret, scope.scope_id, info.credential.id)) throw new GatewayError('credential_exists', 'a stand-in id, or one too short to tell');
  const credProps = credPropsSchema.safeParse(response.clientExtensionResults.credProps);
  const credential: Credential = {
    credential_id: info.credential.id,
    account_id: accountId,
    scope_id: scope.scope_id,
    public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
    algorithm: coseAlgorithm(info.credential.publicKey),
    counter: info.credential.counter,
    transports: response.response.transports,
    aaguid: info.aaguid,
    device_type: info.credentialDeviceType,
    backed_up: info.credentialBackedUp,
    created_at: new Date(deps.now()).toISOString(),
    last_used_at: null,
    // Named after its provider by default, so users can tell their passkeys apart.
    name: state.device_name ?? passkeyProvider(info.aaguid),
    possibly_cloned: false,
    discoverable: credProps.success ? credProps.data.rk : null,
    authenticator_attachment: response.authenticatorAttachment ?? null,
    attestation_verified: attestation.verified,
    second_factor_only: state.second_factor_only,
  };
  return { credential, userVerified: info.userVerified };
}

async function createAccount(state: RegistrationState, credential: Credential, scope: Scope, audit: NewAuditEvent, deps: Deps, extras: RegistrationExtras): Promise<Account> {
  // The account key's public half is computed once here and stored; the secret half is never stored.
  const { publicKey, address } = accountPublicKey(deps.accountKeySecret, credential.account_id);
  const account: NewAccount = {
    account_id: credential.account_id,
    scope_id: scope.scope_id,
    username: state.username_key,
    display_name: state.display_name,
    user_handle: state.user_handle,
    identifier_hash: identifierHash(deps.identifierSecret, scope.scope_id, state.username_key),
    public_key: publicKey,
    address,
    disabled: false,
    created_at: credential.created_at,
    user_id: state.user_id,
    second_factor_only: state.second_factor_only,
  };
  const created = await deps.accounts.createAccountWithCredential(account, credential, audit, extras);
  // invite_invalid: the invite was used (a second registration with the same link) or expired since initiation.
  if (!created.ok) throw new GatewayError(created.conflict);
  return created.account;
}

async function addPasskey(account: Account, credential: Credential, audit: NewAuditEvent, deps: Deps, token: RegistrationExtras['token']): Promise<Account> {
  const added = await deps.accounts.addCredential(credential, limits.credentialsPerAccount, audit, { token });
  if (!added.ok) throw new GatewayError(added.conflict === 'account_not_found' ? (token === undefined ? 'session_invalid' : 'token_invalid') : added.conflict);
  return account;
}
