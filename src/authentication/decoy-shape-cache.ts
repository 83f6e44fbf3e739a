import type { Logger } from 'pino';
import type { AccountStore } from '../stores/account-store.js';
import { shapeSample, type ShapeSample } from './decoy-credentials.js';

/** Accounts per scope the sample holds: the newest, so it follows what people register now. */
const SAMPLE_ACCOUNTS = 500;
/** The sample holds accounts created before the start of the current period of this length. */
const PERIOD_MS = 60 * 60_000;
/** How long after a failed refresh the next one may start. */
const RETRY_MS = 60_000;

export interface DecoyShapeCache {
  /**
   * The scope's shape sample. The first call for a scope waits for it to load (a failed load is
   * not kept, so the next call tries again); later calls get it from memory at once, and the first
   * one in a new period starts reading that period's sample in the background.
   */
  sample(scopeId: string): Promise<ShapeSample>;
  /** Forgets every sample; refreshes still in flight are dropped. */
  close(): void;
}

interface Entry {
  sample: Promise<ShapeSample>;
  /** The creation-time cutoff the sample was (or is being) read with. */
  cutoff: number;
  refreshing: boolean;
  /** No refresh before this time (after a failed one). */
  retryAt: number;
}

/**
 * Per-scope samples of account shapes for unknown-user answers, owned by one gateway instance.
 * A sample holds the newest accounts created before the start of the current hour, so every
 * gateway process draws from the same sample and answers an unknown username the same way (a
 * username answered differently by two processes would give itself away); the answer can change
 * only at the turn of an hour. Every sign-in that names a user asks for the sample, whether or not
 * the user exists, so the wait of a first load and the reads of refreshes fall on both alike.
 */
export function createDecoyShapeCache(options: {
  accounts: Pick<AccountStore, 'credentialShapes'>;
  log: Logger;
  /** Wall-clock epoch milliseconds: the gateway's clock (tests move it). */
  now: () => number;
  periodMs?: number;
  sampleAccounts?: number;
}): DecoyShapeCache {
  const { accounts, log, now, periodMs = PERIOD_MS, sampleAccounts = SAMPLE_ACCOUNTS } = options;
  const entries = new Map<string, Entry>();
  let closed = false;

  const load = async (scopeId: string, cutoff: number) =>
    shapeSample(await accounts.credentialShapes(scopeId, sampleAccounts, new Date(cutoff).toISOString()));

  const refresh = (scopeId: string, entry: Entry, cutoff: number) => {
    entry.refreshing = true;
    load(scopeId, cutoff)
      .then(
        (fresh) => {
          entry.sample = Promise.resolve(fresh);
          entry.cutoff = cutoff;
        },
        (err: unknown) => {
          entry.retryAt = now() + RETRY_MS;
          if (!closed) log.warn({ err, scope_id: scopeId }, 'decoy shape sample refresh failed; keeping the previous one');
        },
      )
      .finally(() => {
        entry.refreshing = false;
      });
  };

  return {
    sample(scopeId) {
      const time = now();
      const cutoff = Math.floor(time / periodMs) * periodMs;
      const entry = entries.get(scopeId);
      if (entry === undefined) {
        const first: Entry = { sample: load(scopeId, cutoff), cutoff, refreshing: false, retryAt: 0 };
        if (!closed) entries.set(scopeId, first);
        first.sample.catch(() => {
          if (entries.get(scopeId) === first) entries.delete(scopeId);
        });
        return first.sample;
      }
      if (entry.cutoff !== cutoff && !entry.refreshing && !closed && time >= entry.retryAt) refresh(scopeId, entry, cutoff);
      return entry.sample;
    },
    close() {
      closed = true;
      entries.clear();
    },
  };
}
