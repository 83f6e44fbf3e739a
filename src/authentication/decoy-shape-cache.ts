import type { Logger } from 'pino';
import type { AccountStore } from '../stores/account-store.js';
import { shapeSample, type ShapeSample } from './decoy-credentials.js';

/** Accounts per scope the sample holds: the newest, so it follows what people register now. */
const SAMPLE_ACCOUNTS = 500;
/** How old a sample may grow before a sign-in starts reading a new one. */
const REFRESH_MS = 5 * 60_000;

export interface DecoyShapeCache {
  /**
   * The scope's shape sample. The first call for a scope waits for it to load (a failed load is
   * not kept, so the next call tries again); later calls get it from memory at once, and the first
   * one after it has aged `refreshMs` starts reading a fresh one in the background.
   */
  sample(scopeId: string): Promise<ShapeSample>;
  /** Forgets every sample; refreshes still in flight are dropped. */
  close(): void;
}

interface Entry {
  sample: Promise<ShapeSample>;
  loadedAt: number;
  refreshing: boolean;
}

/**
 * Per-scope samples of account shapes for unknown-user answers, owned by one gateway instance.
 * Every sign-in that names a user asks for the sample, whether or not the user exists, so the
 * wait of a first load and the reads of refreshes fall on both alike.
 */
export function createDecoyShapeCache(options: {
  accounts: Pick<AccountStore, 'credentialShapes'>;
  log: Logger;
  refreshMs?: number;
  sampleAccounts?: number;
  /** Monotonic milliseconds (tests move it). */
  now?: () => number;
}): DecoyShapeCache {
  const { accounts, log, refreshMs = REFRESH_MS, sampleAccounts = SAMPLE_ACCOUNTS, now = () => performance.now() } = options;
  const entries = new Map<string, Entry>();
  let closed = false;

  const load = async (scopeId: string) => shapeSample(await accounts.credentialShapes(scopeId, sampleAccounts));

  const refresh = (scopeId: string, entry: Entry) => {
    entry.refreshing = true;
    load(scopeId)
      .then(
        (fresh) => {
          entry.sample = Promise.resolve(fresh);
        },
        (err: unknown) => {
          if (!closed) log.warn({ err, scope_id: scopeId }, 'decoy shape sample refresh failed; keeping the previous one');
        },
      )
      .finally(() => {
        // A failed refresh also waits a whole interval before the next try.
        entry.loadedAt = now();
        entry.refreshing = false;
      });
  };

  return {
    sample(scopeId) {
      const entry = entries.get(scopeId);
      if (entry === undefined) {
        const first: Entry = { sample: load(scopeId), loadedAt: now(), refreshing: false };
        if (!closed) entries.set(scopeId, first);
        first.sample.catch(() => {
          if (entries.get(scopeId) === first) entries.delete(scopeId);
        });
        return first.sample;
      }
      if (!entry.refreshing && !closed && now() - entry.loadedAt >= refreshMs) refresh(scopeId, entry);
      return entry.sample;
    },
    close() {
      closed = true;
      entries.clear();
    },
  };
}
