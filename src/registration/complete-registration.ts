import { randomUUID } from 'node:crypto';
import { verifyRegistrationResponse } from '@simplewebauthn/server';
import { z } from 'zod';
import type { CeremonyRateLimiter } from '../abuse/ceremony-rate-limiter.js';
import type { NewAuditEvent } from '../domain/audit-event.js';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { challengeIdSchema, takeChallenge, type ChallengeState } from '../ceremony/challenge-state.js';
import { coseAlgorithm } from '../ceremony/cose-algorithm.js';
import { passkeyProvider } from '../ceremony/passkey-provider.js';
import { openJson } from '../ceremony/sealed-json.js';
import { registrationResponseSchema, type RegistrationResponse } from '../ceremony/webauthn-json.js';
import { sealEnvelope } from '../envelope/aes-gcm-envelope.js';
import { GatewayError } from '../errors/gateway-error.js';
import { accountPublicKey } from '../identity/account-key.js';
import { identifierHash } from '../identity/identifier-hash.js';
import { registrationUserSchema } from '../identity/user-input.js';
import { envelopeField } from '../rpc/envelope-field.js';
import { limits } from '../rpc/limits.js';
import { scopedMethod, type ScopedContext } from '../rpc/rpc-method.js';
import type { Scope } from '../domain/scope.js';
import { optionalSession, type SessionDeps } from '../sessions/session-context.js';
import { requireRecentSignIn, type SessionService } from '../sessions/session-service.js';
import type { Account, Credential, NewAccount } from '../domain/account.js';
import type { AccountStore } from '../stores/account-store.js';
import type { ChallengeStore } from '../stores/challenge-store.js';
import { verifiedOrFail } from '../ceremony/verified-or-fail.js';

export const completeRegistrationParams = z.object({
  challenge_id: challengeIdSchema,
  encrypted_attestation: envelopeField,
  encrypted_user: envelopeField,
});
export const completeRegistrationResult = z.object({
  account_id: z.uuid(),
  identifier_hash: z.string().regex(/^0x[0-9a-f]{64}$/),
  encrypted_jwt: z.string().describe('Envelope of a session JWT for the account, so no second ceremony is needed after sign-up'),
});

interface Deps extends SessionDeps {
  accounts: AccountStore;
  challenges: ChallengeStore;
  sessions: SessionService;
  identifierSecret: Buffer;
  accountKeySecret: Buffer;
  now: () => number;
  rateLimiter: CeremonyRateLimiter;
  audit: AuditRecorder;
}

export function completeRegistration(deps: Deps) {
  return scopedMethod({
    name: 'completeRegistration',
    summary: 'Finish a passkey registration',
    description:
      'Consumes the challenge, verifies the attestation and creates the account with its first passkey in one transaction ' +
      "(or, for a registration started with a session, adds the passkey to the session's account). Returns a session for the account.",
    params: completeRegistrationParams,
    result: completeRegistrationResult,
    envelopes: { encrypted_attestation: registrationResponseSchema, encrypted_user: registrationUserSchema },
    async handler(params, ctx) {
      const { scope, clientKey, log } = ctx;
      // Consumed first, so any failure below uses the challenge up as well.
      const state = await takeChallenge(deps.challenges, params.challenge_id, {
        kind: 'registration',
        scopeId: scope.scope_id,
        keyThumbprint: clientKey.thumbprint,
      });
      const user = openJson(clientKey.key, params.encrypted_user, registrationUserSchema, 'encrypted_user');
      await deps.rateLimiter.consumeUser(scope, state.username ?? user.key);
      const response = openJson(clientKey.key, params.encrypted_attestation, registrationResponseSchema, 'encrypted_attestation');
      // A new account is bound to the username it was started for; an added passkey to the session's account.
      const account = state.account_id === null ? null : await sessionAccount(ctx, state, deps);
      if (account === null && user.key !== state.username) throw new GatewayError('challenge_mismatch', 'username differs from initiation');

      const credential = await verifiedCredential(response, state, scope, account?.account_id ?? randomUUID(), deps.now);
      const audit = deps.audit.event(ctx, account === null ? 'registration' : 'credential_added', {
        scope_id: scope.scope_id,
        account_id: credential.account_id,
        credential_id: credential.credential_id,
      });
      const result = account === null ? await createAccount(state, credential, scope, audit, deps) : await addPasskey(account, credential, audit, deps);
      log.info({ account_id: result.account_id, scope_id: scope.scope_id, added: account !== null }, 'passkey registered');

      // The session is started by the new passkey: deleting an older one leaves it working.
      const jwt = await deps.sessions.issue(result, credential.credential_id, scope, clientKey.thumbprint);
      return { account_id: result.account_id, identifier_hash: result.identifier_hash, encrypted_jwt: sealEnvelope(clientKey.key, jwt) };
    },
  });
}

async function sessionAccount(ctx: ScopedContext, state: ChallengeState, deps: Deps): Promise<Account> {
  const signedIn = await optionalSession(ctx, deps);
  if (signedIn === null || signedIn.account.account_id !== state.account_id) throw new GatewayError('challenge_mismatch', 'added passkey without the same session');
  requireRecentSignIn(signedIn.session, ctx.scope, deps.now());
  return signedIn.account;
}

async function verifiedCredential(response: RegistrationResponse, state: ChallengeState, scope: Scope, accountId: string, now: () => number): Promise<Credential> {
  const { registrationInfo: info } = await verifiedOrFail(() =>
    verifyRegistrationResponse({
      response,
      expectedChallenge: state.challenge,
      expectedOrigin: scope.origins,
      expectedRPID: scope.rp_id,
      requireUserVerification: scope.user_verification === 'required',
      supportedAlgorithmIDs: scope.algorithms,
    }),
  );
  return {
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
    created_at: new Date(now()).toISOString(),
    last_used_at: null,
    // Named after its provider by default, so users can tell their passkeys apart.
    name: passkeyProvider(info.aaguid),
    possibly_cloned: false,
  };
}

async function createAccount(state: ChallengeState, credential: Credential, scope: Scope, audit: NewAuditEvent, deps: Deps): Promise<Account> {
  if (state.username === null || state.user_handle === null) throw new GatewayError('challenge_mismatch', 'registration state incomplete');
  // The account key's public half is computed once here and stored; the secret half is never stored.
  const { publicKey, address } = accountPublicKey(deps.accountKeySecret, credential.account_id);
  const account: NewAccount = {
    account_id: credential.account_id,
    scope_id: scope.scope_id,
    username: state.username,
    display_name: state.display_name ?? state.username,
    user_handle: state.user_handle,
    identifier_hash: identifierHash(deps.identifierSecret, scope.scope_id, state.username),
    public_key: publicKey,
    address,
    disabled: false,
    created_at: credential.created_at,
  };
  const created = await deps.accounts.createAccountWithCredential(account, credential, audit);
  if (!created.ok) throw new GatewayError(created.conflict);
  return created.account;
}

async function addPasskey(account: Account, credential: Credential, audit: NewAuditEvent, deps: Deps): Promise<Account> {
  const added = await deps.accounts.addCredential(credential, limits.credentialsPerAccount, audit);
  if (!added.ok) throw new GatewayError(added.conflict === 'account_not_found' ? 'session_invalid' : added.conflict);
  return account;
}
