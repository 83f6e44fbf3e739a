import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { CeremonyOverrides, SoftAuthenticator } from './soft-authenticator.js';
import type { JsonRpcReply, RpcClient } from './rpc-client.js';

export interface StartedRegistration {
  challengeId: string;
  options: PublicKeyCredentialCreationOptionsJSON;
  encryptedUser: string;
}

export interface StartedAuthentication {
  challengeId: string;
  options: PublicKeyCredentialRequestOptionsJSON;
  encryptedUser: string;
}

/**
 * Whole ceremonies through the real protocol, as a browser page at `pageOrigin` would run them with
 * the given software authenticator. Used by the tests, the smoke check and the benchmark.
 */
export function ceremoniesFor(pageOrigin: string) {
  async function initiateRegistration(
    client: RpcClient,
    username: string,
    displayName?: string,
    extraHeaders: Record<string, string | undefined> = {},
  ): Promise<StartedRegistration> {
    const encryptedUser = client.seal({ username, userDisplayName: displayName ?? username });
    const reply = await client.call('initiateRegistration', { encrypted_user: encryptedUser }, extraHeaders);
    if (reply.error !== undefined) throw new Error(`initiateRegistration failed: ${reply.error.data}`);
    const { publicKey } = client.openJson<{ publicKey: PublicKeyCredentialCreationOptionsJSON }>(reply.result?.encrypted_creation_challenge);
    return { challengeId: String(reply.result?.challenge_id), options: publicKey, encryptedUser };
  }

  function completeRegistration(
    client: RpcClient,
    started: StartedRegistration,
    authenticator: SoftAuthenticator,
    overrides: CeremonyOverrides = {},
    origin = pageOrigin,
    extraHeaders: Record<string, string | undefined> = {},
  ): Promise<JsonRpcReply> {
    const attestation = authenticator.createCredential(started.options, origin, overrides);
    return client.call(
      'completeRegistration',
      { challenge_id: started.challengeId, encrypted_attestation: client.seal(attestation), encrypted_user: started.encryptedUser },
      extraHeaders,
    );
  }

  /** A whole registration (with `session`: another passkey for the signed-in account); throws unless it succeeds. */
  async function register(client: RpcClient, authenticator: SoftAuthenticator, username: string, session?: string) {
    const headers = { 'x-encrypted-session': session };
    const reply = await completeRegistration(client, await initiateRegistration(client, username, undefined, headers), authenticator, {}, pageOrigin, headers);
    if (reply.error !== undefined) throw new Error(`completeRegistration failed: ${reply.error.data}`);
    return reply.result as { account_id: string; identifier_hash: string; encrypted_jwt: string };
  }

  async function initiateAuthentication(client: RpcClient, username?: string): Promise<StartedAuthentication> {
    const encryptedUser = client.seal({ username: username ?? '', userDisplayName: username ?? '' });
    const reply = await client.call('initiateAuthentication', { encrypted_user: encryptedUser, regenerate_seed: false });
    if (reply.error !== undefined) throw new Error(`initiateAuthentication failed: ${reply.error.data}`);
    const { publicKey } = client.openJson<{ publicKey: PublicKeyCredentialRequestOptionsJSON }>(reply.result?.encrypted_request_challenge);
    return { challengeId: String(reply.result?.challenge_id), options: publicKey, encryptedUser };
  }

  function completeAuthentication(
    client: RpcClient,
    started: StartedAuthentication,
    authenticator: SoftAuthenticator,
    overrides: CeremonyOverrides = {},
    origin = pageOrigin,
  ): Promise<JsonRpcReply> {
    const assertion = authenticator.getAssertion(started.options, origin, overrides);
    return client.call('completeAuthentication', {
      challenge_id: started.challengeId,
      encrypted_assertion: client.seal(assertion),
      encrypted_user: started.encryptedUser,
    });
  }

  /** A whole sign-in; returns the still-sealed session (what later calls send as X-Encrypted-Session). */
  async function signIn(client: RpcClient, authenticator: SoftAuthenticator, username?: string): Promise<string> {
    const reply = await completeAuthentication(client, await initiateAuthentication(client, username), authenticator);
    if (reply.error !== undefined) throw new Error(`completeAuthentication failed: ${reply.error.data}`);
    return String(reply.result?.encrypted_jwt);
  }

  /** Calls an authenticated method and opens its sealed result; errors come back as the reply's error. */
  async function sessionCall<T = Record<string, unknown>>(
    client: RpcClient,
    encryptedSession: string,
    method: string,
    params: unknown = {},
  ): Promise<{ result?: T; error?: JsonRpcReply['error'] }> {
    const reply = await client.call(method, params, { 'x-encrypted-session': encryptedSession });
    if (reply.error !== undefined) return { error: reply.error };
    return { result: client.openJson<T>(reply.result?.encrypted_result) };
  }

  return { initiateRegistration, completeRegistration, register, initiateAuthentication, completeAuthentication, signIn, sessionCall };
}
