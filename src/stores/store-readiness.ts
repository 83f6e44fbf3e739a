import type { Backend } from './open-stores.js';

export interface Readiness {
  ready: boolean;
  /** Each backend: 'ok' or 'unavailable'; the cause goes to the log, not to the caller. */
  stores: { accounts: 'ok' | 'unavailable'; challenges: 'ok' | 'unavailable' };
}

/**
 * Pings both backends (through their guards, so each answer is bounded in time). Ready only while
 * both answer, so a load balancer stops sending traffic during an outage and resumes after it.
 */
export async function checkReadiness(backends: { accounts: Pick<Backend, 'ping'>; challenges: Pick<Backend, 'ping'> }): Promise<Readiness> {
  const [accounts, challenges] = await Promise.allSettled([backends.accounts.ping(), backends.challenges.ping()]);
  const state = (result: PromiseSettledResult<void>): 'ok' | 'unavailable' => (result.status === 'fulfilled' ? 'ok' : 'unavailable');
  const result = { accounts: state(accounts), challenges: state(challenges) };
  return { ready: result.accounts === 'ok' && result.challenges === 'ok', stores: result };
}
