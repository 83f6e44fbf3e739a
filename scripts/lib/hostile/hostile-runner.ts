/**
 * Plays hostile plans against a running gateway over keep-alive HTTP and checks every answer.
 * Scenario plans first make the live state they need (a fresh challenge), then send the hostile
 * completion; only that completion counts as a fuzz request.
 */
import { randomUUID } from 'node:crypto';
import { ceremoniesFor } from '../ceremonies.js';
import { RpcClient } from '../rpc-client.js';
import { SoftAuthenticator } from '../soft-authenticator.js';
import { answerProblem, expectedStatuses } from './answer-check.js';
import type { FuzzFixture, HttpPlan, Plan, ScenarioPlan } from './hostile-requests.js';

export interface RunnerFixture extends FuzzFixture {
  /** The page origin the software authenticators sign for (one of scope A's origins). */
  origin: string;
  /** Holds the passkey of `username`. */
  authenticator: SoftAuthenticator;
  /** For scenario registrations, which fail anyway. */
  scratchAuthenticator: SoftAuthenticator;
}

export interface Tally {
  requests: number;
  /** Requests whose connection failed before any answer and that were answered when sent again. */
  resent: number;
  byStatus: Record<string, number>;
  byReason: Record<string, number>;
  /** Milliseconds spent per family, scenario set-up included. */
  msByFamily: Record<string, number>;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** Two scopes' clients and a registered, signed-in user: what the hostile plans aim at. */
export async function prepareFixture(options: { url: string; publicKey: string; scopeA: string; scopeB: string; origin: string }): Promise<RunnerFixture> {
  const { url, publicKey, scopeA, scopeB, origin } = options;
  const client = new RpcClient(url, scopeA, publicKey, origin);
  const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
  const username = `hostile-${randomUUID()}`;
  const { encrypted_jwt: session } = await ceremoniesFor(origin).register(client, authenticator, username);
  return {
    url,
    origin,
    client,
    otherClient: new RpcClient(url, scopeA, publicKey, origin),
    foreignClient: new RpcClient(url, scopeB, publicKey, origin),
    session,
    username,
    authenticator,
    scratchAuthenticator: new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' }),
  };
}

export function newTally(): Tally {
  return { requests: 0, resent: 0, byStatus: {}, byReason: {}, msByFamily: {} };
}

/** Sends one plan; throws with a description when the answer is wrong (or never comes). */
export async function runPlan(fx: RunnerFixture, plan: Plan, tally: Tally): Promise<void> {
  const startedAt = performance.now();
  const http = plan.kind === 'http' ? plan : await scenarioRequest(fx, plan);
  const send = async () => {
    const response = await fetch(fx.url, { method: http.method, headers: http.headers, body: http.method === 'GET' ? undefined : http.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return { status: response.status, text: await response.text() };
  };
  let answer: { status: number; text: string };
  try {
    answer = await send();
  } catch (error) {
    const describe = (e: unknown) => (e instanceof Error ? `${e.name} ${e.message} ${e.cause instanceof Error ? String(e.cause) : ''}` : String(e));
    const where = `\n  request: ${http.method} ${JSON.stringify(http.headers).slice(0, 300)} ${JSON.stringify(http.body.slice(0, 300))}`;
    // A request left unanswered until the timeout is a failure as it stands.
    if (error instanceof Error && error.name === 'TimeoutError') throw new Error(`${http.family}: no answer within ${REQUEST_TIMEOUT_MS} ms${where}`, { cause: error });
    // Sent once more: a request that always goes unanswered fails again, while a kept-alive socket
    // that the server closed just as this request went out (a race of any HTTP client, and common
    // on a loaded machine) is not the gateway's answer to the request. The second answer is judged.
    try {
      answer = await send();
      tally.resent += 1;
    } catch (retryError) {
      // fetch's own error says only "fetch failed"; the socket error is its cause.
      throw new Error(`${http.family}: no answer (${describe(error)}; sent again: ${describe(retryError)})${where}`, { cause: retryError });
    }
  }
  const { status, text } = answer;
  tally.requests += 1;
  tally.msByFamily[plan.family.replace(/^(envelope|key-header|session)-.*/, '$1')] = (tally.msByFamily[plan.family.replace(/^(envelope|key-header|session)-.*/, '$1')] ?? 0) + Math.round(performance.now() - startedAt);
  tally.byStatus[status] = (tally.byStatus[status] ?? 0) + 1;
  const reason = /"data":"([a-z_]+)"/.exec(text)?.[1];
  if (reason !== undefined) tally.byReason[reason] = (tally.byReason[reason] ?? 0) + 1;
  const problem = answerProblem(status, text, expectedStatuses(http), http.expect);
  if (problem !== null) throw new Error(`${http.family}: ${problem}\n  request: ${http.method} ${JSON.stringify(http.headers).slice(0, 300)} ${http.body.slice(0, 300)}`);
}

/** Makes the live state a scenario needs and returns its hostile request, with the one reason it must get. */
async function scenarioRequest(fx: RunnerFixture, plan: ScenarioPlan): Promise<HttpPlan> {
  const { client, otherClient, foreignClient } = fx;
  const ceremonies = ceremoniesFor(fx.origin);
  const request = (family: string, sender: typeof client, method: string, params: unknown, reasons: string[]): HttpPlan => ({
    kind: 'http',
    family,
    method: 'POST',
    headers: sender.headers(),
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    expect: { reasons },
  });
  const junkAssertion = (challengeId: string, encryptedUser: string) => ({ challenge_id: challengeId, encrypted_assertion: client.seal({ id: 'AAAA' }), encrypted_user: encryptedUser });

  switch (plan.scenario) {
    case 'registration-client-data': {
      const started = await ceremonies.initiateRegistration(client, `fuzz-${randomUUID()}`);
      // The one valid type would make this a real registration: swap it for a wrong one.
      const clientData = { ...plan.clientData, ...(plan.clientData.type === 'webauthn.create' ? { type: 'webauthn.get' } : {}) };
      const attestation = fx.scratchAuthenticator.createCredential(started.options, fx.origin, { clientData });
      return request(plan.family, client, 'completeRegistration', { challenge_id: started.challengeId, encrypted_attestation: client.seal(attestation), encrypted_user: started.encryptedUser }, ['verification_failed']);
    }
    case 'authentication-client-data': {
      const started = await ceremonies.initiateAuthentication(client, fx.username);
      const clientData = { ...plan.clientData, ...(plan.clientData.type === 'webauthn.get' ? { type: 'webauthn.create' } : {}) };
      const assertion = fx.authenticator.getAssertion(started.options, fx.origin, { clientData });
      return request(plan.family, client, 'completeAuthentication', { challenge_id: started.challengeId, encrypted_assertion: client.seal(assertion), encrypted_user: started.encryptedUser }, ['verification_failed']);
    }
    case 'replayed-challenge': {
      const started = await ceremonies.initiateAuthentication(client, fx.username);
      // The first completion uses the challenge up, whatever its outcome.
      await client.call('completeAuthentication', junkAssertion(started.challengeId, started.encryptedUser));
      return request(plan.family, client, 'completeAuthentication', junkAssertion(started.challengeId, started.encryptedUser), ['challenge_not_found']);
    }
    case 'cross-scope-challenge': {
      const started = await ceremonies.initiateAuthentication(foreignClient, fx.username);
      return request(plan.family, client, 'completeAuthentication', junkAssertion(started.challengeId, client.seal({ username: fx.username })), ['challenge_mismatch']);
    }
    case 'other-key-challenge': {
      const started = await ceremonies.initiateAuthentication(client, fx.username);
      return request(plan.family, otherClient, 'completeAuthentication', { ...junkAssertion(started.challengeId, otherClient.seal({ username: fx.username })), encrypted_assertion: otherClient.seal({ id: 'AAAA' }) }, ['challenge_mismatch']);
    }
    case 'wrong-kind-challenge': {
      const started = await ceremonies.initiateAuthentication(client, fx.username);
      return request(plan.family, client, 'completeRegistration', { challenge_id: started.challengeId, encrypted_attestation: client.seal({}), encrypted_user: client.seal({ username: fx.username }) }, ['challenge_mismatch']);
    }
  }
}
