import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type Backend, type Harness } from '../support/gateway-harness.js';
import { adminCall } from '../admin/admin-rpc.js';

export type RpcReply<T> = { result?: T; error?: { code: number; message?: string; data?: string } };

/** A server method call: no scope header, no envelope; `bearer` is an API key secret or the admin token. */
export function serverCall<T = unknown>(url: string, method: string, params: unknown, bearer?: string): Promise<RpcReply<T>> {
  return adminCall<T>(url, method, params, bearer);
}

/** A gateway with an admin token, and the token. */
export async function startWithAdminToken(backend: Backend, env: Record<string, string> = {}): Promise<{ harness: Harness; token: string; close(): Promise<void> }> {
  const token = randomBytes(32).toString('base64url');
  const dir = mkdtempSync(join(tmpdir(), 'pkgw-admin-'));
  const tokenFile = join(dir, 'admin-token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const harness = await startGateway(backend, { ADMIN_TOKEN_FILE: tokenFile, ...env });
  return {
    harness,
    token,
    async close() {
      await harness.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates an API key for the scope through the admin method; its secret. */
export async function createKey(url: string, token: string, scopeId: string, name = 'backend'): Promise<{ secret: string; key_id: string }> {
  const reply = await adminCall<{ secret: string; key_id: string }>(url, 'createApiKey', { scope_id: scopeId, name }, token);
  if (reply.result === undefined) throw new Error(`createApiKey failed: ${JSON.stringify(reply.error)}`);
  return reply.result;
}
