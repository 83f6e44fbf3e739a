import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { createClientKey, openEnvelope, sealEnvelope, type ClientKey } from './envelope-crypto.js';
import { GatewayClientError } from './gateway-client-error.js';
import { createPasskey, usePasskey } from './passkey-ceremony.js';
import { isRecord, RpcTransport, type FetchLike } from './rpc-transport.js';
import type { Account, Passkey, Registration } from './types.js';

export interface GatewayClientOptions {
  /** The gateway's JSON-RPC URL, e.g. `http://localhost:9545`. */
  url: string;
  scopeId: string;
  /** The gateway's RSA public key: base64 SPKI DER (what `getEncryptionKey` answers). */
  publicKey: string;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
}

/**
 * A browser client for one scope of a passkey gateway. It keeps one AES key for its life (as the
 * Passport SDK does) and the sealed session after a sign-in, in memory only: a reload signs out.
 */
export class GatewayClient {
  private readonly transport: RpcTransport;
  private keyPromise: Promise<ClientKey> | undefined;
  private session: string | undefined;

  constructor(private readonly options: GatewayClientOptions) {
    const fetchImpl = options.fetch ?? ((url, init) => fetch(url, init));
    this.transport = new RpcTransport(options.url, fetchImpl);
  }

  get signedIn(): boolean {
    return this.session !== undefined;
  }

  /** Creates an account with a new passkey; the client is then signed in to it. */
  async register(input: { username: string; displayName?: string }): Promise<Registration> {
    const result = await this.registerPasskey({ username: input.username, userDisplayName: input.displayName ?? input.username }, false);
    this.session = requireString(result, 'encrypted_jwt', 'completeRegistration');
    return { account_id: requireString(result, 'account_id', 'completeRegistration'), identifier_hash: requireString(result, 'identifier_hash', 'completeRegistration') };
  }

  /** Adds another passkey (a new one on this device or a security key) to the signed-in account. */
  async addPasskey(): Promise<void> {
    const account = await this.getAccount();
    await this.registerPasskey({ username: account.username, userDisplayName: account.display_name }, true);
  }

  /**
   * Signs in with a passkey. Without a username the browser offers the discoverable passkeys it
   * holds for this site; with `autofill` it offers them in the focused `autocomplete="… webauthn"`
   * input instead of a dialog (conditional UI), and the promise waits until one is picked; a later
   * ceremony (or `signal`) cancels it with `ceremony_cancelled`.
   */
  async signIn(input: { username?: string; autofill?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const username = input.autofill ? '' : (input.username ?? '');
    const key = await this.key();
    const encryptedUser = await sealEnvelope(key.aesKey, JSON.stringify({ username, userDisplayName: username }));
    const started = await this.transport.call('initiateAuthentication', { encrypted_user: encryptedUser, regenerate_seed: false }, await this.headers());
    const { publicKey } = await this.openJson<{ publicKey: PublicKeyCredentialRequestOptionsJSON }>(started, 'encrypted_request_challenge', 'initiateAuthentication');
    // An app that moved on while the challenge was fetched (e.g. started another ceremony) cancels here.
    if (input.signal?.aborted) throw new GatewayClientError('ceremony_cancelled', 'sign-in cancelled', { method: 'initiateAuthentication' });
    const assertion = await usePasskey(publicKey, input.autofill === true);
    const done = await this.transport.call(
      'completeAuthentication',
      { challenge_id: requireString(started, 'challenge_id', 'initiateAuthentication'), encrypted_assertion: await sealEnvelope(key.aesKey, JSON.stringify(assertion)), encrypted_user: encryptedUser },
      await this.headers(),
    );
    this.session = requireString(done, 'encrypted_jwt', 'completeAuthentication');
  }

  getAccount(): Promise<Account> {
    return this.sessionCall<Account>('getAccount', {});
  }

  async listCredentials(): Promise<Passkey[]> {
    return (await this.sessionCall<{ credentials: Passkey[] }>('listCredentials', {})).credentials;
  }

  renameCredential(credentialId: string, name: string): Promise<{ credential_id: string; name: string }> {
    return this.sessionCall('renameCredential', { credential_id: credentialId, name });
  }

  deleteCredential(credentialId: string): Promise<{ credential_id: string; deleted: true }> {
    return this.sessionCall('deleteCredential', { credential_id: credentialId });
  }

  /** Revokes the session at the gateway and forgets it; a session the gateway no longer knows counts as signed out. */
  async signOut(): Promise<void> {
    if (this.session === undefined) return;
    try {
      await this.sessionCall('logout', {});
    } catch (error) {
      if (!(error instanceof GatewayClientError && error.reason === 'session_invalid')) throw error;
    } finally {
      this.session = undefined;
    }
  }

  private async registerPasskey(user: { username: string; userDisplayName: string }, withSession: boolean): Promise<Record<string, unknown>> {
    const key = await this.key();
    const headers = await this.headers(withSession);
    const encryptedUser = await sealEnvelope(key.aesKey, JSON.stringify(user));
    const started = await this.transport.call('initiateRegistration', { encrypted_user: encryptedUser }, headers);
    const { publicKey } = await this.openJson<{ publicKey: PublicKeyCredentialCreationOptionsJSON }>(started, 'encrypted_creation_challenge', 'initiateRegistration');
    const attestation = await createPasskey(publicKey);
    return this.transport.call(
      'completeRegistration',
      { challenge_id: requireString(started, 'challenge_id', 'initiateRegistration'), encrypted_attestation: await sealEnvelope(key.aesKey, JSON.stringify(attestation)), encrypted_user: encryptedUser },
      headers,
    );
  }

  /** An authenticated call: the sealed session goes along, the result comes back sealed. */
  private async sessionCall<T>(method: string, params: Record<string, unknown>): Promise<T> {
    if (this.session === undefined) throw new GatewayClientError('not_signed_in', `${method}: not signed in`, { method });
    try {
      const result = await this.transport.call(method, params, await this.headers(true));
      return await this.openJson<T>(result, 'encrypted_result', method);
    } catch (error) {
      // The gateway will not take this session again (expired or revoked): forget it.
      if (error instanceof GatewayClientError && error.reason === 'session_invalid') this.session = undefined;
      throw error;
    }
  }

  private key(): Promise<ClientKey> {
    // Made lazily, once: the RSA wrap is async, and a failed attempt may be retried.
    this.keyPromise ??= createClientKey(this.options.publicKey).catch((cause: unknown) => {
      this.keyPromise = undefined;
      throw new GatewayClientError('unexpected_reply', 'the gateway public key is not a usable RSA key', { cause });
    });
    return this.keyPromise;
  }

  private async headers(withSession = false): Promise<Record<string, string>> {
    const key = await this.key();
    const headers: Record<string, string> = { 'x-scope-id': this.options.scopeId, 'x-encrypted-key': key.encryptedKey };
    if (withSession && this.session !== undefined) headers['x-encrypted-session'] = this.session;
    return headers;
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

function requireString(result: Record<string, unknown>, field: string, method: string): string {
  const value = result[field];
  if (typeof value !== 'string' || value === '') throw new GatewayClientError('unexpected_reply', `${method}: reply lacks ${field}`, { method });
  return value;
}
