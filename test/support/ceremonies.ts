import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { TEST_ORIGIN } from './gateway-harness.js';
import type { CeremonyOverrides, SoftAuthenticator } from './soft-authenticator.js';
import type { JsonRpcReply, TestClient } from './test-client.js';

export interface StartedRegistration {
  challengeId: string;
  options: PublicKeyCredentialCreationOptionsJSON;
  encryptedUser: string;
}

export async function initiateRegistration(client: TestClient, username: string, displayName?: string): Promise<StartedRegistration> {
  const encryptedUser = client.seal({ username, userDisplayName: displayName ?? username });
  const reply = await client.call('initiateRegistration', { encrypted_user: encryptedUser });
  if (reply.error !== undefined) throw new Error(`initiateRegistration failed: ${reply.error.data}`);
  const { publicKey } = client.openJson<{ publicKey: PublicKeyCredentialCreationOptionsJSON }>(reply.result?.encrypted_creation_challenge);
  return { challengeId: String(reply.result?.challenge_id), options: publicKey, encryptedUser };
}

export function completeRegistration(
  client: TestClient,
  started: StartedRegistration,
  authenticator: SoftAuthenticator,
  overrides: CeremonyOverrides = {},
  origin = TEST_ORIGIN,
): Promise<JsonRpcReply> {
  const attestation = authenticator.createCredential(started.options, origin, overrides);
  return client.call('completeRegistration', {
    challenge_id: started.challengeId,
    encrypted_attestation: client.seal(attestation),
    encrypted_user: started.encryptedUser,
  });
}

/** A whole registration; throws unless it succeeds. */
export async function register(client: TestClient, authenticator: SoftAuthenticator, username: string) {
  const reply = await completeRegistration(client, await initiateRegistration(client, username), authenticator);
  if (reply.error !== undefined) throw new Error(`completeRegistration failed: ${reply.error.data}`);
  return reply.result as { account_id: string; identifier_hash: string };
}
