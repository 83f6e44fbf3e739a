import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { ClientStateStorage, StoredClientState } from './client-state-storage.js';
import { createClientKey, openEnvelope, sealEnvelope, type ClientKey } from './envelope-crypto.js';
import { GatewayClientError } from './gateway-client-error.js';
import { indexedDbStorage } from './indexed-db-storage.js';
import { createPasskey, requireWebAuthn, supportsAutomaticPasskeys, usePasskey } from './passkey-ceremony.js';
import { accountSignalsSupported, signalAccount, signalUnknownCredential } from './credential-signals.js';
import { isRecord, RpcTransport, type FetchLike } from './rpc-transport.js';
import { sessionClaim, sessionPasskeyId } from './session-passkey.js';
import type { Account, Hint, Passkey, RecoveryCodes, Recovery, Registration, SignInResult } from './types.js';

/**
 * The changes the gateway allows only shortly after a passkey sign-in (the scope's reauth_window_s);
 * `call` is a change made through `call()`, such as an operator's admin call.
 */
export type RecentSignInAction = 'addPasskey' | 'deleteCredential' | 'regenerateRecoveryCodes' | 'call';

export interface GatewayClientOptions {
  /** The gateway's JSON-RPC URL, e.g. `http://localhost:9545`. */
  url: string;
  scopeId: string;
  /** The gateway's RSA public key: base64 SPKI DER (what `getEncryptionKey` answers). */
  publicKey: string;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /**
   * Keep the AES key and the sealed session across page reloads (default true). With false they live
   * in memory only, so a reload signs out.
   */
  persist?: boolean;
  /** Where to keep them when persisting; defaults to IndexedDB, and to nowhere (memory only) where there is none. */
  storage?: ClientStateStorage;
  /**
   * Called when the gateway wants a fresh passkey sign-in before `action`, just before the client
   * asks for the passkey (e.g. to tell the person why the passkey dialog appears).
   */
  onReauthenticate?: (action: RecentSignInAction) => void;
}

/**
 * A browser client for one scope of a passkey gateway. It keeps one AES key (non-extractable) and,
 * once signed in, the sealed session, which the gateway accepts only under that key; both are kept
 * in IndexedDB, per gateway URL and scope, so a reload stays signed in (see `persist`).
 */
export class GatewayClient {
  private readonly transport: RpcTransport;
  private readonly storage: ClientStateStorage | undefined;
  private readonly storageId: string;
  private readonly restored: Promise<void>;
  private keyPromise: Promise<ClientKey> | undefined;
  private session: string | undefined;
  /**
   * A recovery session whose passkey was not created (the dialog was dismissed): the code is spent,
   * so recoverAccount for the same username tries again with this first. Memory only, never stored.
   */
  private pendingRecovery: { username: string; session: string; remaining: number } | undefined;

  constructor(private readonly options: GatewayClientOptions) {
    const fetchImpl = options.fetch ?? ((url, init) => fetch(url, init));
    this.transport = new RpcTransport(options.url, fetchImpl);
    this.storage = options.persist === false ? undefined : (options.storage ?? indexedDbStorage());
    this.storageId = JSON.stringify([options.url, options.scopeId]);
    this.restored = this.restore();
  }

  /**
   * Resolves once the state an earlier page load stored has been read (at once without storage);
   * never rejects. Every method waits for it by itself; `signedIn` is meaningful after it.
   */
  ready(): Promise<void> {
    return this.restored;
  }

  /**
   * Whether the client holds a session (after `ready()` for one restored from storage). The gateway
   * may still refuse it (expired, revoked): a call then fails with `session_invalid` and the client
   * is signed out.
   */
  get signedIn(): boolean {
    return this.session !== undefined;
  }

  /**
   * Registers a passkey; the client is then signed in to its account. With a `username`: a new
   * account. With a `registrationToken` (from the app's backend: createRegistrationToken, or an
   * operator's recovery link): a passkey for the account the token names, created on first use; the
   * token alone decides whose it is, so no username is needed. `deviceName` names the new passkey.
   * On an account's first passkey, where the scope gives recovery codes, `recovery_codes` holds them:
   * show them to the person once. `invite` is the token of an operator invite link, which the
   * operators' scope needs for a new account.
   */
  async register(input: { username?: string; displayName?: string; registrationToken?: string; deviceName?: string; hints?: Hint[]; invite?: string }): Promise<Registration> {
    if (input.registrationToken === undefined && (input.username === undefined || input.username === '')) throw new TypeError('register: give a username or a registrationToken');
    const user =
      input.registrationToken === undefined
        ? { username: input.username ?? '', userDisplayName: input.displayName ?? input.username ?? '' }
        : { registration_token: input.registrationToken, ...(input.username === undefined ? {} : { username: input.username }), ...(input.displayName === undefined ? {} : { userDisplayName: input.displayName }) };
    const result = await this.registerPasskey({ ...user, ...deviceNameField(input.deviceName) }, undefined, { hints: input.hints, invite: input.invite });
    await this.adopt(requireString(result, 'encrypted_jwt', 'completeRegistration'));
    return {
      account_id: requireString(result, 'account_id', 'completeRegistration'),
      identifier_hash: requireString(result, 'identifier_hash', 'completeRegistration'),
      user_id: typeof result.user_id === 'string' ? result.user_id : null,
      recovery_codes: await this.recoveryCodesOf(result, 'completeRegistration'),
    };
  }

  /**
   * Adds another passkey (a new one on this device or a security key) to the signed-in account. The
   * client then uses the session the new passkey started, so deleting an older passkey keeps it
   * signed in. Needs a recent sign-in: see `withRecentSignIn`.
   */
  async addPasskey(input: { hints?: Hint[]; deviceName?: string } = {}): Promise<void> {
    const account = await this.getAccount();
    const user = { username: account.username, userDisplayName: account.display_name, ...deviceNameField(input.deviceName) };
    const result = await this.withRecentSignIn('addPasskey', account.username, () =>
      this.withSession('initiateRegistration', (session) => this.registerPasskey(user, session, { hints: input.hints })),
    );
    await this.adopt(requireString(result, 'encrypted_jwt', 'completeRegistration'));
  }

  /**
   * Automatic passkey upgrade: asks the browser to create a passkey for the signed-in account without
   * a prompt (conditional create), where it says it can. Resolves to whether a passkey was added;
   * false where the browser cannot or declines, or when the sign-in is no longer recent (it never
   * prompts, so it never signs in again). The gateway decides at initiation that this ceremony may
   * go without user presence; nothing here can turn that on for another.
   */
  async upgradeToPasskey(): Promise<boolean> {
    if (!(await supportsAutomaticPasskeys())) return false;
    const account = await this.getAccount();
    const user = { username: account.username, userDisplayName: account.display_name };
    let result: Record<string, unknown>;
    try {
      result = await this.withSession('initiateRegistration', (session) => this.registerPasskey(user, session, { automatic: true }));
    } catch (error) {
      if (hasReason(error, 'ceremony_cancelled') || hasReason(error, 'reauthentication_required') || hasReason(error, 'passkey_already_on_device')) return false;
      throw error;
    }
    await this.adopt(requireString(result, 'encrypted_jwt', 'completeRegistration'));
    return true;
  }

  /**
   * Signs in with a passkey. Without a username the browser offers the discoverable passkeys it
   * holds for this site; with `autofill` it offers them in the focused `autocomplete="… webauthn"`
   * input instead of a dialog (conditional UI), and the promise waits until one is picked; a later
   * ceremony (or `signal`) cancels it with `ceremony_cancelled`. With a `signInToken` (from the app's
   * backend: createSignInToken) it is a second factor: the browser is offered only the passkeys of the
   * user the token names. Resolves to the sign-in's `sign_in_token`, which the app's backend exchanges
   * once (verifySignIn) for who signed in.
   */
  async signIn(input: { username?: string; autofill?: boolean; signal?: AbortSignal; hints?: Hint[]; signInToken?: string } = {}): Promise<SignInResult> {
    const username = input.autofill || input.signInToken !== undefined ? '' : (input.username ?? '');
    const key = await this.key();
    const user = input.signInToken === undefined ? { username, userDisplayName: username } : { sign_in_token: input.signInToken };
    const encryptedUser = await sealEnvelope(key.aesKey, JSON.stringify(user));
    const started = await this.transport.call(
      'initiateAuthentication',
      { encrypted_user: encryptedUser, regenerate_seed: false, ...(input.hints === undefined ? {} : { hints: input.hints }) },
      await this.headers(),
    );
    const { publicKey } = await this.openJson<{ publicKey: PublicKeyCredentialRequestOptionsJSON }>(started, 'encrypted_request_challenge', 'initiateAuthentication');
    // An app that moved on while the challenge was fetched (e.g. started another ceremony) cancels here.
    if (input.signal?.aborted) throw new GatewayClientError('ceremony_cancelled', 'sign-in cancelled', { method: 'initiateAuthentication' });
    const assertion = await usePasskey(publicKey, input.autofill === true);
    let done: Record<string, unknown>;
    try {
      done = await this.transport.call(
        'completeAuthentication',
        { challenge_id: requireString(started, 'challenge_id', 'initiateAuthentication'), encrypted_assertion: await sealEnvelope(key.aesKey, JSON.stringify(assertion)), encrypted_user: encryptedUser },
        await this.headers(),
      );
    } catch (error) {
      // Only the gateway's own word that no account holds the passkey, which it gives for a sign-in
      // without a username alone: never guessed from a failed sign-in that named one.
      if (hasReason(error, 'unknown_credential') && username === '' && input.signInToken === undefined && publicKey.rpId !== undefined) await signalUnknownCredential(publicKey.rpId, assertion.id);
      throw error;
    }
    const session = requireString(done, 'encrypted_jwt', 'completeAuthentication');
    // A second factor the scope refuses as a session of its own is no sign-in here: the client keeps what it had.
    if ((await sessionClaim(key.aesKey, session, 'restricted')) === undefined) await this.adopt(session);
    return { sign_in_token: await this.openText(done, 'encrypted_sign_in_token', 'completeAuthentication') };
  }

  /**
   * The signed-in session's JWT, for the app's backend to verify (passkey-gateway/server's
   * verifySession, or any JOSE library against the gateway's JWKS). It is bound to this client's key
   * at the gateway, but to the app it is a bearer credential: send it only to the app's own backend.
   */
  async sessionJwt(): Promise<string> {
    return this.withSession('sessionJwt', async (session) => {
      const jwt = await openEnvelope((await this.key()).aesKey, session);
      if (jwt === null) throw new GatewayClientError('unexpected_reply', 'the session did not open with this client\'s key', { method: 'sessionJwt' });
      return jwt;
    });
  }

  /**
   * Ten new recovery codes for the signed-in account, replacing every old one (used or not); show
   * them once. Needs a recent sign-in, as adding a passkey does (see `withRecentSignIn`).
   */
  async regenerateRecoveryCodes(): Promise<RecoveryCodes> {
    const result = await this.withRecentSignIn('regenerateRecoveryCodes', undefined, () => this.sessionCall<Record<string, unknown>>('regenerateRecoveryCodes', {}));
    return recoveryCodesFrom(result, 'regenerateRecoveryCodes');
  }

  /**
   * Back into an account whose passkeys are all lost: a recovery code (used up here) gives a short
   * session that can do one thing, add a passkey, which this then does at once with the browser's
   * passkey dialog. Afterwards the client is signed in with the new passkey's session. `remaining`
   * is how many unused codes the account holds now. A wrong username or code is `recovery_failed`.
   * A dismissed dialog does not waste the code: calling again for the same username within the
   * recovery session's life (10 minutes) tries once more with it, whatever code is given.
   */
  async recoverAccount(input: { username: string; code: string; deviceName?: string; hints?: Hint[] }): Promise<Recovery> {
    // No code is spent where no passkey could be created.
    requireWebAuthn();
    const user = { username: input.username, userDisplayName: input.username, ...deviceNameField(input.deviceName) };
    const pending = this.pendingRecovery?.username === input.username ? this.pendingRecovery : undefined;
    if (pending !== undefined) {
      try {
        return await this.finishRecovery(user, pending, input.hints);
      } catch (error) {
        // The recovery session ran out: the code given now starts afresh.
        if (!hasReason(error, 'session_invalid') && !hasReason(error, 'reauthentication_required')) throw error;
        this.pendingRecovery = undefined;
      }
    }
    const key = await this.key();
    const recovered = await this.transport.call('recoverAccount', { encrypted_user: await sealEnvelope(key.aesKey, JSON.stringify({ username: input.username, code: input.code })) }, await this.headers());
    const session = requireString(recovered, 'encrypted_jwt', 'recoverAccount');
    const { remaining } = await this.openJson<{ remaining?: unknown }>(recovered, 'encrypted_recovery_codes', 'recoverAccount');
    if (typeof remaining !== 'number') throw new GatewayClientError('unexpected_reply', 'recoverAccount: no remaining count', { method: 'recoverAccount' });
    this.pendingRecovery = { username: input.username, session, remaining };
    return this.finishRecovery(user, this.pendingRecovery, input.hints);
  }

  /** Creates the passkey with the recovery session, which serves this registration and nothing else. */
  private async finishRecovery(user: Record<string, string>, recovery: { session: string; remaining: number }, hints: Hint[] | undefined): Promise<Recovery> {
    const result = await this.registerPasskey(user, recovery.session, { hints });
    this.pendingRecovery = undefined;
    await this.adopt(requireString(result, 'encrypted_jwt', 'completeRegistration'));
    return { account_id: requireString(result, 'account_id', 'completeRegistration'), remaining: recovery.remaining };
  }

  /**
   * Any authenticated method with this client's session, its sealed result opened: e.g. an
   * operator's admin call from the console. When the gateway wants a recent sign-in first, the
   * client signs in again with a passkey of the same account and calls once more.
   */
  call<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.withRecentSignIn('call', undefined, () => this.sessionCall<T>(method, params));
  }

  getAccount(): Promise<Account> {
    return this.sessionCall<Account>('getAccount', {});
  }

  async listCredentials(): Promise<Passkey[]> {
    return (await this.sessionCall<{ credentials: Passkey[] }>('listCredentials', {})).credentials;
  }

  async renameCredential(credentialId: string, name: string): Promise<{ credential_id: string; name: string }> {
    const result = await this.sessionCall<{ credential_id: string; name: string }>('renameCredential', { credential_id: credentialId, name });
    await this.signalAccountState();
    return result;
  }

  /** Changes the account's display name; the browser's passkeys are told where it can (signalCurrentUserDetails). */
  async updateDisplayName(displayName: string): Promise<{ display_name: string }> {
    const result = await this.sessionCall<{ display_name: string }>('updateDisplayName', { display_name: displayName });
    await this.signalAccountState();
    return result;
  }

  /**
   * Deletes one of the account's passkeys; needs a recent sign-in (see `withRecentSignIn`). The
   * gateway ends the sessions the deleted passkey started: when it started this client's, the client
   * is signed out afterwards (`signedIn` is false).
   */
  async deleteCredential(credentialId: string): Promise<{ credential_id: string; deleted: true }> {
    // Read first where the browser takes signals: deleting this session's own passkey ends the session.
    const before = accountSignalsSupported() ? await this.accountState() : null;
    const result = await this.withRecentSignIn('deleteCredential', undefined, () =>
      this.sessionCall<{ credential_id: string; deleted: true }>('deleteCredential', { credential_id: credentialId }),
    );
    const session = this.session;
    if (session !== undefined && (await sessionPasskeyId((await this.key()).aesKey, session)) === credentialId) await this.forget(session);
    if (before !== null) await signalAccount(before.account, before.credentialIds.filter((id) => id !== credentialId));
    return result;
  }

  /**
   * Ends the session at the gateway and forgets it here, whatever the gateway answers. With
   * `everywhere`, every session of the account ends, on every device. A session the gateway no longer
   * takes counts as signed out, except with `everywhere`: then the other sessions could not be ended,
   * and the call fails (`session_invalid`, or `not_signed_in` without a session) so the app can ask
   * the person to sign in and try again.
   */
  async signOut(options: { everywhere?: boolean } = {}): Promise<void> {
    const everywhere = options.everywhere === true;
    await this.restored;
    if (this.session === undefined && !everywhere) return;
    await this.withSession('logout', async (session) => {
      try {
        await this.callWithSession(session, 'logout', everywhere ? { everywhere: true } : {});
      } catch (error) {
        if (everywhere || !hasReason(error, 'session_invalid')) throw error;
      } finally {
        await this.forget(session);
      }
    });
  }

  /** Tells the browser the account's passkeys and names as they are now, where it takes signals; never fails. */
  private async signalAccountState(): Promise<void> {
    if (!accountSignalsSupported()) return;
    try {
      const { account, credentialIds } = await this.accountState();
      await signalAccount(account, credentialIds);
    } catch {
      // A signal is a courtesy to the browser: the change itself has been made.
    }
  }

  private async accountState(): Promise<{ account: Account; credentialIds: string[] }> {
    const [account, passkeys] = await Promise.all([this.getAccount(), this.listCredentials()]);
    return { account, credentialIds: passkeys.map((passkey) => passkey.credential_id) };
  }

  /**
   * Runs a change the gateway allows only within the scope's reauth_window_s of a passkey sign-in.
   * When it answers `reauthentication_required`, the client signs in again with a passkey of the same
   * account (the username comes from getAccount when not given) and runs the change once more.
   */
  private async withRecentSignIn<T>(action: RecentSignInAction, username: string | undefined, change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } catch (error) {
      if (!hasReason(error, 'reauthentication_required')) throw error;
    }
    const name = username ?? (await this.getAccount()).username;
    this.options.onReauthenticate?.(action);
    await this.signIn({ username: name });
    return change();
  }

  /** The sealed `{codes, remaining}` a registration may carry; null when it carries none. */
  private async recoveryCodesOf(result: Record<string, unknown>, method: string): Promise<RecoveryCodes | null> {
    if (result.encrypted_recovery_codes === undefined || result.encrypted_recovery_codes === null) return null;
    return recoveryCodesFrom(await this.openJson<Record<string, unknown>>(result, 'encrypted_recovery_codes', method), method);
  }

  private async registerPasskey(
    user: Record<string, string>,
    session: string | undefined,
    how: { hints?: Hint[]; automatic?: boolean; invite?: string } = {},
  ): Promise<Record<string, unknown>> {
    const key = await this.key();
    const headers = await this.headers(session);
    const encryptedUser = await sealEnvelope(key.aesKey, JSON.stringify(user));
    const params = {
      encrypted_user: encryptedUser,
      ...(how.hints === undefined ? {} : { hints: how.hints }),
      ...(how.automatic ? { mediation: 'conditional' } : {}),
      ...(how.invite === undefined ? {} : { encrypted_invite: await sealEnvelope(key.aesKey, JSON.stringify({ invite: how.invite })) }),
    };
    const started = await this.transport.call('initiateRegistration', params, headers);
    const { publicKey, mediation } = await this.openJson<{ publicKey: PublicKeyCredentialCreationOptionsJSON; mediation?: string }>(started, 'encrypted_creation_challenge', 'initiateRegistration');
    // Silent only where the gateway granted it for this very challenge.
    const attestation = await createPasskey(publicKey, how.automatic === true && mediation === 'conditional');
    return this.transport.call(
      'completeRegistration',
      { challenge_id: requireString(started, 'challenge_id', 'initiateRegistration'), encrypted_attestation: await sealEnvelope(key.aesKey, JSON.stringify(attestation)), encrypted_user: encryptedUser },
      headers,
    );
  }

  /** An authenticated call with the current session. */
  private sessionCall<T>(method: string, params: Record<string, unknown>): Promise<T> {
    return this.withSession(method, (session) => this.callWithSession<T>(session, method, params));
  }

  /** The sealed session goes along, the result comes back sealed. */
  private async callWithSession<T>(session: string, method: string, params: Record<string, unknown>): Promise<T> {
    const result = await this.transport.call(method, params, await this.headers(session));
    return this.openJson<T>(result, 'encrypted_result', method);
  }

  /** Runs `work` with the current session; a session the gateway refuses is forgotten, here and in storage. */
  private async withSession<T>(method: string, work: (session: string) => Promise<T>): Promise<T> {
    await this.restored;
    const session = this.session;
    if (session === undefined) throw new GatewayClientError('not_signed_in', `${method}: not signed in`, { method });
    try {
      return await work(session);
    } catch (error) {
      // The gateway will not take this session again (expired, revoked, ended everywhere, its passkey deleted).
      if (hasReason(error, 'session_invalid')) await this.forget(session);
      throw error;
    }
  }

  /** Reads what an earlier page load stored; anything unusable leaves the client signed out. */
  private async restore(): Promise<void> {
    if (this.storage === undefined) return;
    let stored: StoredClientState | undefined;
    try {
      stored = await this.storage.load(this.storageId);
    } catch {
      return;
    }
    if (stored === undefined) return;
    // The key was wrapped for another gateway public key than this client was given (the gateway's key rotated): start afresh.
    if (stored.publicKey !== this.options.publicKey) return this.unstore(stored.session);
    this.keyPromise = Promise.resolve({ aesKey: stored.aesKey, encryptedKey: stored.encryptedKey });
    this.session = stored.session;
  }

  /** Uses `session` from now on, and stores it with the key it is bound to. */
  private async adopt(session: string): Promise<void> {
    this.session = session;
    if (this.storage === undefined) return;
    const { aesKey, encryptedKey } = await this.key();
    try {
      await this.storage.save(this.storageId, { publicKey: this.options.publicKey, aesKey, encryptedKey, session });
    } catch {
      // Storage is a convenience: the session works in memory, only a reload will sign out.
    }
  }

  private async forget(session: string): Promise<void> {
    // A concurrent sign-in may have replaced it already; that one stays.
    if (this.session === session) this.session = undefined;
    await this.unstore(session);
  }

  private async unstore(session: string): Promise<void> {
    try {
      await this.storage?.remove(this.storageId, session);
    } catch {
      // Left behind, it is refused on the next load's first call and removed then.
    }
  }

  private async key(): Promise<ClientKey> {
    // A stored key, once read, is the key; otherwise one is made lazily, once (a failed attempt may be retried).
    await this.restored;
    this.keyPromise ??= createClientKey(this.options.publicKey).catch((cause: unknown) => {
      this.keyPromise = undefined;
      throw new GatewayClientError('unexpected_reply', 'the gateway public key is not a usable RSA key', { cause });
    });
    return this.keyPromise;
  }

  private async headers(session?: string): Promise<Record<string, string>> {
    const key = await this.key();
    const headers: Record<string, string> = { 'x-scope-id': this.options.scopeId, 'x-encrypted-key': key.encryptedKey };
    if (session !== undefined) headers['x-encrypted-session'] = session;
    return headers;
  }

  /** A sealed text field a newer gateway adds; null where the reply lacks it. */
  private async openText(result: Record<string, unknown>, field: string, method: string): Promise<string | null> {
    if (result[field] === undefined) return null;
    const text = await openEnvelope((await this.key()).aesKey, requireString(result, field, method));
    if (text === null || text === '') throw new GatewayClientError('unexpected_reply', `${method}: ${field} did not open with this client's key`, { method });
    return text;
  }

  private async openJson<T>(result: Record<string, unknown>, field: string, method: string): Promise<T> {
    const envelope = requireString(result, field, method);
    const text = await openEnvelope((await this.key()).aesKey, envelope);
    if (text === null) throw new GatewayClientError('unexpected_reply', `${method}: ${field} did not open with this client's key`, { method });
    try {
      const value: unknown = JSON.parse(text);
      if (!isRecord(value)) throw new TypeError('not an object');
      return value as T;
    } catch (cause) {
      throw new GatewayClientError('unexpected_reply', `${method}: ${field} is not a JSON object`, { method, cause });
    }
  }
}

function recoveryCodesFrom(value: Record<string, unknown>, method: string): RecoveryCodes {
  const { codes, remaining } = value;
  if (!Array.isArray(codes) || !codes.every((code) => typeof code === 'string') || typeof remaining !== 'number') {
    throw new GatewayClientError('unexpected_reply', `${method}: not {codes, remaining}`, { method });
  }
  return { codes, remaining };
}

function deviceNameField(deviceName: string | undefined): { device_name?: string } {
  return deviceName === undefined || deviceName.trim() === '' ? {} : { device_name: deviceName };
}

function requireString(result: Record<string, unknown>, field: string, method: string): string {
  const value = result[field];
  if (typeof value !== 'string' || value === '') throw new GatewayClientError('unexpected_reply', `${method}: reply lacks ${field}`, { method });
  return value;
}

function hasReason(error: unknown, reason: string): boolean {
  return error instanceof GatewayClientError && error.reason === reason;
}
