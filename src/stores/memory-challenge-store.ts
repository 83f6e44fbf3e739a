import type { ChallengeStore } from './challenge-store.js';
import { assertValidTtl } from './challenge-ttl.js';

export interface MemoryChallengeStoreOptions {
  /** Upper bound on stored entries, so a flood of ceremonies cannot exhaust memory. */
  maxEntries?: number;
  /** How often expired entries are swept; the timer is unref'ed so it never holds the process open. */
  sweepIntervalMs?: number;
  /** Clock in epoch milliseconds; injectable for tests. */
  now?: () => number;
}

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * Single-process ChallengeStore. JavaScript runs `consume` to completion without yielding, so
 * get-then-delete is atomic here; use the Redis store when several gateway processes share load.
 */
export class MemoryChallengeStore implements ChallengeStore {
  // A Map iterates in insertion order, so its first key is always the oldest entry.
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  /**
   * Lower bound on the earliest expiry among stored entries. While the clock is below it nothing
   * can have expired, which lets a full store skip the O(n) sweep and evict the oldest directly.
   */
  private earliestExpiry = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(options: MemoryChallengeStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError('maxEntries must be a positive integer');
    }
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.timer.unref();
  }

  async put(id: string, value: string, ttlMs: number): Promise<void> {
    assertValidTtl(ttlMs);
    const now = this.now();
    // Re-inserting moves an existing id to the young end, matching Redis SET overwrite semantics.
    this.entries.delete(id);
    if (this.entries.size >= this.maxEntries) this.makeRoom(now);
    const expiresAt = now + ttlMs;
    this.entries.set(id, { value, expiresAt });
    this.earliestExpiry = Math.min(this.earliestExpiry, expiresAt);
  }

  async consume(id: string): Promise<string | null> {
    const entry = this.entries.get(id);
    if (entry === undefined) return null;
    this.entries.delete(id);
    return entry.expiresAt > this.now() ? entry.value : null;
  }

  async peek(id: string): Promise<string | null> {
    const entry = this.entries.get(id);
    if (entry === undefined) return null;
    if (entry.expiresAt > this.now()) return entry.value;
    // Expired: drop it now rather than leave it for the sweep.
    this.entries.delete(id);
    return null;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('MemoryChallengeStore is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.entries.clear();
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
        this.entries.delete(id);
        removed += 1;
      } else if (entry.expiresAt < earliest) {
        earliest = entry.expiresAt;
      }
    }
    this.earliestExpiry = earliest;
    return removed;
  }

  private makeRoom(now: number): void {
    if (now >= this.earliestExpiry) this.sweep();
    for (const id of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(id);
    }
  }
}
