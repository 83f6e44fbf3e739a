/** Registrations with one-time tokens, through the real protocol, and a gateway to run them on. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import type { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import type { JsonRpcReply, RpcClient } from '../../scripts/lib/rpc-client.js';
import type { TestBackend } from './backends.js';
import { startGateway, TEST_ORIGIN } from './gateway-harness.js';

/** Every per-minute limit off; client addresses from X-Forwarded-For. */
export const openEnv = { TRUST_PROXY_HOPS: '1', RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_USER_PER_MINUTE: '0' };

export interface Registered {
  account_id: string;
  identifier_hash: string;
  encrypted_jwt: string;
  user_id: string | null;
  encrypted_recovery_codes?: string;
}

/** A gateway with an admin token and a clock the tests move. */
export async function startTokenGateway(backend: TestBackend, clock: { now: number }) {
  const adminToken = randomBytes(32).toString('base64url');
  const dir = mkdtempSync(join(tmpdir(), 'pkgw-admin-'));
  writeFileSync(join(dir, 'admin-token'), adminToken, { mode: 0o600 });
  const harness = await startGateway(backend, { ...openEnv, ADMIN_TOKEN_FILE: join(dir, 'admin-token') }, { now: () => clock.now });
  return {
    harness,
    adminToken,
    async close() {
      await harness.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** initiateRegistration with a sealed user (a registration token and whatever else); the reply and what completion needs. */
export async function startTokenRegistration(client: RpcClient, user: Record<string, unknown>, headers: Record<string, string> = {}) {
  const encryptedUser = client.seal(user);
  const reply = await client.call('initiateRegistration', { encrypted_user: encryptedUser }, headers);
  const options =
    reply.result === undefined ? undefined : client.openJson<{ publicKey: PublicKeyCredentialCreationOptionsJSON }>(reply.result.encrypted_creation_challenge).publicKey;
  return { reply, challengeId: String(reply.result?.challenge_id), options, encryptedUser };
}

export async function finishRegistration(
  client: RpcClient,
  started: Awaited<ReturnType<typeof startTokenRegistration>>,
  device: SoftAuthenticator,
  encryptedUser = started.encryptedUser,
  headers: Record<string, string> = {},
): Promise<JsonRpcReply> {
  if (started.options === undefined) throw new Error(`initiateRegistration failed: ${started.reply.error?.data}`);
  const attestation = device.createCredential(started.options, TEST_ORIGIN);
  return client.call('completeRegistration', { challenge_id: started.challengeId, encrypted_attestation: client.seal(attestation), encrypted_user: encryptedUser }, headers);
}

/** A whole registration with a token; throws unless it succeeds. */
export async function registerWithToken(client: RpcClient, device: SoftAuthenticator, user: Record<string, unknown>): Promise<Registered> {
  const reply = await finishRegistration(client, await startTokenRegistration(client, user), device);
  if (reply.error !== undefined) throw new Error(`completeRegistration failed: ${reply.error.data}`);
  return reply.result as unknown as Registered;
}

