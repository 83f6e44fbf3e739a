import { timingSafeEqual } from 'node:crypto';
import type { CallTracing } from '../tracing/call-tracing.js';
import { z } from 'zod';
import type { AuditFacts, AuditRecorder } from '../audit/audit-recorder.js';
import { challengeIdSchema, takeChallenge, type AuthenticationState } from '../ceremony/challenge-state.js';
import { authenticationResponseSchema } from '../ceremony/webauthn-json.js';
import { GatewayError, isGatewayError } from '../errors/gateway-error.js';
import { authenticationUserSchema } from '../identity/user-input.js';
import { envelopeField } from '../rpc/envelope-field.js';
import { scopedMethod, type HandlerParams, type ScopedContext } from '../rpc/rpc-method.js';
import type { SessionService } from '../sessions/session-service.js';
import type { Account, Credential } from '../domain/account.js';
import type { AccountStore } from '../stores/account-store.js';
import type { ChallengeStore } from '../stores/challenge-store.js';
import { verifiedOrFail } from '../ceremony/verified-or-fail.js';
import { recordSignIn } from './sign-in-rule.js';
import type { AssertionVerifier } from './assertion-verifier.js';
import { checkFraming } from '../ceremony/framing-policy.js';
import { checkBackupEligibility } from '../ceremony/backup-eligibility.js';
import { isStandInId } from './decoy-credentials.js';
import type { TokenStore } from '../stores/token-store.js';
import { tokenHash } from '../tokens/token-secret.js';
import { newSignInResult } from '../tokens/sign-in-result.js';
import { sameText } from '../ceremony/same-text.js';
import type { RandomSource } from '../keys/random-pool.js';

export const completeAuthenticationParams = z.object({
  challenge_id: challengeIdSchema,
  encrypted_assertion: envelopeField,
  encrypted_user: envelopeField.optional(),
});
export const completeAuthenticationResult = z.object({
  encrypted_jwt: z.string().describe('Envelope of the bare compact session JWT'),
  encrypted_sign_in_token: z
    .string()
    .describe("Envelope of a one-time token (pkgw_sv_…) the app's backend exchanges with verifySignIn for the sign-in's user_id, account_id and passkey, within 2 minutes"),
});

interface Deps {
  accounts: AccountStore;
  challenges: ChallengeStore;
  sessions: SessionService;
  now: () => number;
  audit: AuditRecorder;
  /** The key no one holds that a passkey the named user does not have is checked against (see decoy-credentials.ts). */
  decoyPublicKey: Uint8Array<ArrayBuffer>;
  /** Verifies assertions as verifyAuthenticationResponse does, over node:crypto with parsed keys cached (assertion-verifier.ts). */
  assertions: AssertionVerifier;
  /** The deployment secret stand-in ids are made and recognised with (decoy-credentials.ts). */
  identifierSecret: Buffer;
  /** Verification runs as a span of its own when tracing is on. */
  tracing: Pick<CallTracing, 'child'>;
  tokens: TokenStore;
  /** The sign-in result token's secret. */
  random: RandomSource;
}

const envelopes = { encrypted_assertion: authenticationResponseSchema, encrypted_user: authenticationUserSchema };
type Params = HandlerParams<typeof completeAuthenticationParams, typeof envelopes>;

/** What the audit log learns as a sign-in proceeds; `attempted` once a real challenge was taken. */
type SignInFacts = AuditFacts & { attempted: boolean };

export function completeAuthentication(deps: Deps) {
  return scopedMethod({
    name: 'completeAuthentication',
    summary: 'Finish a passkey sign-in',
    description: 'Consumes the challenge, verifies the assertion against the stored passkey and returns a sealed session JWT.',
    params: completeAuthenticationParams,
    envelopes,
    result: completeAuthenticationResult,
    sealedResult: { encrypted_jwt: 'text', encrypted_sign_in_token: 'text' },
    async handler(params, ctx) {
      const facts: SignInFacts = { scope_id: ctx.scope.scope_id, attempted: false };
      try {
        return await signIn(params, ctx, deps, facts);
      } catch (error) {
        // Only attempts against a real challenge are logged (those are rate limited at initiation),
        // so junk requests cannot flood the log; an outage is not the user's failure.
        if (facts.attempted && isGatewayError(error) && error.reason !== 'service_unavailable' && error.reason !== 'rate_limited') {
          await deps.audit.record(ctx, 'sign_in_failed', { ...facts, reason: error.reason });
        }
        throw error;
      }
    },
  });
}

/** The sign-in itself; resolves to the session JWT, which the pipeline seals. */
async function signIn(params: Params, ctx: ScopedContext, deps: Deps, facts: SignInFacts): Promise<{ encrypted_jwt: string; encrypted_sign_in_token: string }> {
  const { scope, clientKey, log } = ctx;
  // Consumed first, so any failure below uses the challenge up as well.
  const state = await takeChallenge(deps.challenges, params.challenge_id, {
    kind: 'authentication',
    scopeId: scope.scope_id,
    keyThumbprint: clientKey.thumbprint,
  });
  const { usernameKey, signInToken } = params.encrypted_user?.open() ?? { usernameKey: null, signInToken: null };
  facts.attempted = true;
  if (usernameKey !== state.username_key) throw new GatewayError('challenge_mismatch', 'username differs from initiation');
  // A second factor is bound to the token it was started with.
  const secondFactor = state.sign_in_token_hash !== null;
  if (secondFactor !== (signInToken !== null) || (signInToken !== null && !sameText(tokenHash(deps.identifierSecret, signInToken), state.sign_in_token_hash ?? ''))) {
    throw new GatewayError('challenge_mismatch', 'sign-in token differs from initiation');
  }
  if (state.username_key !== null) await ctx.limitUsername(state.username_key);
  const response = params.encrypted_assertion.open();
  // Before any passkey is looked up, so its answer is the same whoever the assertion names.
  checkFraming(response.response.clientDataJSON, scope.top_origins);

  const verify = (credentialId: string, publicKey: Uint8Array<ArrayBuffer>) =>
    verifiedOrFail(() =>
      deps.tracing.child('verify assertion', () => deps.assertions.verify({
        response,
        expectedChallenge: state.challenge,
        expectedOrigin: scope.origins,
        expectedRPID: scope.rp_id,
        expectedTopOrigin: scope.top_origins,
        // The counter rule is applied by recordSignIn (sign-in-rule.ts), once the signature has verified.
        credential: { id: credentialId, publicKey, counter: 0 },
        requireUserVerification: scope.user_verification === 'required',
      })),
    );

  const passkey = await signingPasskey(deps.accounts, scope.scope_id, state, response.id);
  if (passkey === 'unknown') {
    // A usernameless sign-in with a passkey no account of the scope holds: the client may tell the
    // browser to forget it (signalUnknownCredential). Not for an id that may be one of the gateway's
    // stand-ins for an unknown username: that one fails like a real passkey's bad signature below,
    // or replaying stand-ins here would tell them from real accounts' passkeys.
    if (!isStandInId(deps.identifierSecret, scope.scope_id, response.id)) throw new GatewayError('unknown_credential', 'no account holds this credential');
  }
  if (passkey === null || passkey === 'unknown') {
    // The named user has no such passkey (or there is no such user). Fail the way a real passkey
    // with a wrong signature fails, after the same work, so completion timing does not reveal which
    // it was: at once for a userHandle (which would not match), else after a signature check. The
    // decoy key stays parsed in the verifier's cache, as a passkey's key does once it has signed in.
    if (response.response.userHandle === undefined) await verify(response.id, deps.decoyPublicKey).catch(() => undefined);
    throw new GatewayError('verification_failed', 'not a passkey of the named user');
  }
  const { credential, account } = passkey;
  facts.credential_id = credential.credential_id;
  facts.account_id = account.account_id;
  // A sign-in that named a user must use that user's passkey (an unknown name never matches).
  if (state.username_key !== null && account.username !== state.username_key) throw new GatewayError('verification_failed', 'credential of another account');
  // userHandle is null for security keys; when present it must be this account's.
  if (response.response.userHandle !== undefined && !sameBase64url(response.response.userHandle, account.user_handle)) {
    throw new GatewayError('verification_failed', 'userHandle of another account');
  }

  // Whether the account is enabled is decided when the sign-in is recorded, once the signature verified:
  // an assertion that does not verify learns nothing about the account.
  const verification = await verify(credential.credential_id, Buffer.from(credential.public_key, 'base64url'));
  const { newCounter, credentialBackedUp, credentialDeviceType, userVerified } = verification.authenticationInfo;
  // The scope's policy on synced passkeys, on the flag the authenticator reports now.
  checkBackupEligibility(scope.backup_eligibility, credentialDeviceType);

  // Backup eligibility (BE) is meant never to change, but synced passkey providers turn it on once
  // a passkey has synced; the scope decides. The stored device type follows BE either way.
  const backupChange = describeBackupChange(credential, { device_type: credentialDeviceType, backed_up: credentialBackedUp });
  if (credentialDeviceType !== credential.device_type && scope.backup_eligibility_change === 'refused') {
    throw new GatewayError('backup_eligibility_changed', backupChange ?? undefined);
  }
  // An account enrolled as a second factor never signs in on a passkey alone. Decided only once the
  // signature verified: only the passkey's holder learns it.
  if ((account.second_factor_only || credential.second_factor_only) && !secondFactor) throw new GatewayError('second_factor_only');
  // The log tells second factors from primary sign-ins.
  if (secondFactor) facts.reason = 'second_factor';
  // Used up once the passkey has verified (a failed attempt leaves it to the user's next try), before anything is recorded.
  if (state.sign_in_token_hash !== null && (await deps.tokens.consumeToken(state.sign_in_token_hash, 'sign_in', scope.scope_id, new Date(deps.now()).toISOString())) === null) {
    throw new GatewayError('token_invalid', 'sign-in token used or expired meanwhile');
  }
  // The success event (and any backup change) is written with the credential's update, in the same statement.
  const events = [deps.audit.event(ctx, 'sign_in_succeeded', facts)];
  if (backupChange !== null) events.push(deps.audit.event(ctx, 'credential_backup_changed', { ...facts, reason: backupChange }));
  const signedInAt = new Date(deps.now()).toISOString();
  // The app's one-time proof of this sign-in is stored with it, in the same statement.
  const signInResult = newSignInResult(deps, scope, account, {
    credential_id: credential.credential_id,
    user_verified: userVerified,
    signed_in_at: signedInAt,
    second_factor: secondFactor,
    purpose: account.second_factor_only || credential.second_factor_only ? 'second_factor' : 'passkey',
  });
  const recorded = await recordSignIn(
    deps.accounts,
    scope.scope_id,
    account.account_id,
    credential.credential_id,
    { counter: newCounter, device_type: credentialDeviceType, backed_up: credentialBackedUp, last_used_at: signedInAt },
    events,
    credential.counter,
    signInResult.row,
  );
  if (recorded === 'counter_regression') {
    // A counter that does not grow means two copies of the key may exist.
    const audit = deps.audit.event(ctx, 'counter_regression', { scope_id: scope.scope_id, account_id: account.account_id, credential_id: credential.credential_id });
    await deps.accounts.markCredentialPossiblyCloned(scope.scope_id, credential.credential_id, audit);
    log.warn({ credential_id: credential.credential_id, received: newCounter }, 'signature counter regression');
    throw new GatewayError('counter_regression');
  }
  if (recorded === 'account_disabled') throw new GatewayError('account_disabled');
  // Deleted (with its account, or by its owner) since it was read: it no longer signs anyone in.
  if (recorded === 'not_found') throw new GatewayError('verification_failed', 'credential removed during sign-in');

  const jwt = deps.sessions.issue(account, credential.credential_id, scope, clientKey.thumbprint, userVerified, { secondFactor });
  await deps.tokens.sweepExpired(signedInAt);
  log.info({ account_id: account.account_id, scope_id: scope.scope_id, second_factor: secondFactor }, 'signed in');
  // Sealed as the bare compact JWT, not a JSON string: the SDK splits it on '.'.
  return { encrypted_jwt: jwt, encrypted_sign_in_token: signInResult.token };
}

type BackupFlags = Pick<Credential, 'device_type' | 'backed_up'>;

/** What changed in the backup flags since the passkey was last seen, for the audit log; null when nothing did. */
function describeBackupChange(stored: BackupFlags, now: BackupFlags): string | null {
  const flag = (value: boolean) => (value ? '1' : '0');
  const changes = [
    ...(stored.device_type === now.device_type ? [] : [`be:${flag(stored.device_type === 'multiDevice')}->${flag(now.device_type === 'multiDevice')}`]),
    ...(stored.backed_up === now.backed_up ? [] : [`bs:${flag(stored.backed_up)}->${flag(now.backed_up)}`]),
  ];
  return changes.length === 0 ? null : changes.join(' ');
}

function sameBase64url(a: string, b: string): boolean {
  const left = Buffer.from(a, 'base64url');
  const right = Buffer.from(b, 'base64url');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The passkey to verify against and its account. A sign-in that named a user takes them from what
 * initiation read (no read here, and none for an unknown name either, which initiation answered
 * with decoys): null when that user has no such passkey. A usernameless one looks the credential
 * up in this scope, where another scope's passkey is simply unknown ('unknown').
 */
async function signingPasskey(
  accounts: AccountStore,
  scopeId: string,
  state: AuthenticationState,
  credentialId: string,
): Promise<{ credential: Pick<Credential, 'credential_id' | 'public_key' | 'counter' | 'second_factor_only'> & BackupFlags; account: Account } | null | 'unknown'> {
  const named = state.named_signer;
  if (named !== null) {
    const credential = named.credentials.find((candidate) => candidate.credential_id === credentialId);
    return named.account === null || credential === undefined ? null : { credential, account: named.account };
  }
  return (await accounts.findCredentialWithAccount(scopeId, credentialId)) ?? 'unknown';
}
