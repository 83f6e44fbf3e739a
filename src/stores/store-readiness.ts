import type { AccountStore } from './account-store.js';
import type { ChallengeStore } from './challenge-store.js';

export interface Readiness {
  ready: boolean;
  /** Each store: 'ok' or 'unavailable'; the cause goes to the log, not to the caller. */
  stores: { accounts: 'ok' | 'unavailable'; challenges: 'ok' | 'unavailable' };
}

/**
 * Pings both stores (through their guards, so each answer is bounded in time). Ready only while
 * both answer, so a load balancer stops sending traffic during an outage and resumes after it.
 */
export async function checkReadiness(stores: { accounts: Pick<AccountStore, 'ping'>; challenges: Pick<ChallengeStore, 'ping'> }): Promise<Readiness> {
  const [accounts, challenges] = await Promise.allSettled([stores.accounts.ping(), stores.challenges.ping()]);
  const state = (result: PromiseSettledResult<void>) => (result.status === 'fulfilled' ? 'ok' : 'unavailable') as 'ok' | 'unavailable';
  const result = { accounts: state(accounts), challenges: state(challenges) };
  return { ready: result.accounts === 'ok' && result.challenges === 'ok', stores: result };
}
