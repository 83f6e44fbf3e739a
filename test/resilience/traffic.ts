import { randomUUID } from 'node:crypto';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { completeRegistration, initiateRegistration } from '../support/ceremonies.js';
import type { Harness } from '../support/gateway-harness.js';

export interface Attempt {
  outcome: string;
  ms: number;
  accountId?: string;
}

/** One whole registration; the outcome is 'ok' or the first error reason, with its wall time. */
export async function attemptRegistration(harness: Harness, scopeId: string): Promise<Attempt> {
  const client = new RpcClient(harness.url, scopeId, harness.publicKey);
  const started = Date.now();
  try {
    const begun = await initiateRegistration(client, `u-${randomUUID().slice(0, 12)}`);
    const reply = await completeRegistration(client, begun, new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' }));
    if (reply.error !== undefined) return { outcome: reply.error.data ?? 'unknown', ms: Date.now() - started };
    return { outcome: 'ok', ms: Date.now() - started, accountId: String(reply.result?.account_id) };
  } catch (error) {
    // initiateRegistration throws with the reason in its message.
    const reason = /failed: (\w+)/.exec(String(error))?.[1] ?? String(error);
    return { outcome: reason, ms: Date.now() - started };
  }
}

/** Registers until `until()` says stop (bounded by `maxMs`), collecting every attempt. */
export async function registerWhile(harness: Harness, scopeId: string, until: () => boolean, maxMs: number): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  const deadline = Date.now() + maxMs;
  while (!until() && Date.now() < deadline) attempts.push(await attemptRegistration(harness, scopeId));
  return attempts;
}

/** Polls `check` every 100 ms until it holds or `maxMs` passes; returns whether it held. */
export async function eventually(check: () => Promise<boolean>, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

export async function readyStatus(harness: Harness): Promise<number> {
  return (await fetch(new URL('/readyz', harness.url))).status;
}
