import { assertValidTtl, type ChallengeStore } from './challenge-store.js';

/** Which bound made room for a new entry. */
export type ChallengeEviction = 'owner' | 'total';

export interface MemoryChallengeStoreOptions {
  /** Upper bound on stored entries, so a flood of ceremonies cannot exhaust memory. Default 100 000. */
  maxEntries?: number;
  /**
   * Upper bound on the entries of one owner (the client address that started them). Default 1000.
   * A flood from one address then evicts its own oldest ceremonies, not everyone's.
   */
  maxEntriesPerOwner?: number;
  /** How often expired entries are swept; the timer is unref'ed so it never holds the process open. */
  sweepIntervalMs?: number;
  /** Clock in epoch milliseconds; injectable for tests. */
  now?: () => number;
  /** Told each live entry that had to go to make room (for the metrics). */
  onEvict?: (bound: ChallengeEviction) => void;
}

interface Entry {
  value: string;
  expiresAt: number;
  owner: string;
}

const NO_OWNER = '';

/**
 * Single-process ChallengeStore. JavaScript runs `consume` to completion without yielding, so
 * get-then-delete is atomic here; use the Redis store when several gateway processes share load.
 * It holds ceremony state only: when a bound is reached an old ceremony is dropped (its completion
 * then answers challenge_not_found), which is why nothing that must not be forgotten lives here.
 */
export class MemoryChallengeStore implements ChallengeStore {
  // A Map iterates in insertion order, so its first key is always the oldest entry.
  private readonly entries = new Map<string, Entry>();
  /** Each owner's entry ids, oldest first. */
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly maxEntries: number;
  private readonly maxEntriesPerOwner: number;
  private readonly now: () => number;
  private readonly onEvict: (bound: ChallengeEviction) => void;
  private readonly timer: NodeJS.Timeout;
  /**
   * Lower bound on the earliest expiry among stored entries. While the clock is below it nothing
   * can have expired, which lets a full store skip the O(n) sweep and evict the oldest directly.
   */
  private earliestExpiry = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(options: MemoryChallengeStoreOptions = {}) {
    this.maxEntries = positiveInteger(options.maxEntries ?? 100_000, 'maxEntries');
    this.maxEntriesPerOwner = positiveInteger(options.maxEntriesPerOwner ?? 1000, 'maxEntriesPerOwner');
    this.now = options.now ?? Date.now;
    this.onEvict = options.onEvict ?? (() => {});
    this.timer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.timer.unref();
  }

  async put(id: string, value: string, ttlMs: number, owner: string = NO_OWNER): Promise<void> {
    assertValidTtl(ttlMs);
    const now = this.now();
    // Re-inserting moves an existing id to the young end, matching Redis SET overwrite semantics.
    this.remove(id);
    const owned = this.byOwner.get(owner);
    if (owned !== undefined && owned.size >= this.maxEntriesPerOwner) this.makeRoomFor(owned, now);
    if (this.entries.size >= this.maxEntries) this.makeRoom(now);
    const expiresAt = now + ttlMs;
    this.entries.set(id, { value, expiresAt, owner });
    // Read again: making room may have emptied (and dropped) the owner's set.
    const ids = this.byOwner.get(owner);
    if (ids === undefined) this.byOwner.set(owner, new Set([id]));
    else ids.add(id);
    this.earliestExpiry = Math.min(this.earliestExpiry, expiresAt);
  }

  async consume(id: string): Promise<string | null> {
    const entry = this.entries.get(id);
    if (entry === undefined) return null;
    this.remove(id);
    return entry.expiresAt > this.now() ? entry.value : null;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('MemoryChallengeStore is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.entries.clear();
    this.byOwner.clear();
  }

  /** Number of stored entries, expired or not (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  /** Removes expired entries and returns how many were removed. */
  sweep(): number {
    const now = this.now();
    let removed = 0;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.remove(id);
        removed += 1;
      } else if (entry.expiresAt < earliest) {
        earliest = entry.expiresAt;
      }
    }
    this.earliestExpiry = earliest;
    return removed;
  }

  private remove(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    const owned = this.byOwner.get(entry.owner);
    owned?.delete(id);
    if (owned?.size === 0) this.byOwner.delete(entry.owner);
  }

  /** The owner is at its bound: its expired entries go first, then its oldest. */
  private makeRoomFor(owned: Set<string>, now: number): void {
    for (const id of owned) {
      if (owned.size < this.maxEntriesPerOwner) return;
      const expired = (this.entries.get(id)?.expiresAt ?? 0) <= now;
      this.remove(id);
      if (!expired) this.onEvict('owner');
    }
  }

  private makeRoom(now: number): void {
    if (now >= this.earliestExpiry) this.sweep();
    for (const id of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.remove(id);
      this.onEvict('total');
    }
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}
