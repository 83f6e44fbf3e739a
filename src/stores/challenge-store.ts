/**
 * Short-lived ceremony state, and nothing else. `consume` is atomic: of any number of concurrent
 * callers for one id, exactly one gets the value, and the value is gone afterwards whether or not
 * that caller succeeds. Ids are the caller's own (server-made UUIDs); they only ever name
 * challenges, in a key space no other kind of state shares.
 */
export interface ChallengeStore {
  /** `owner` (the client address that started the ceremony) lets a bounded store evict per client. */
  put(id: string, value: string, ttlMs: number, owner?: string): Promise<void>;
  consume(id: string): Promise<string | null>;
  /** Answers when the backend is reachable; throws otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Both challenge stores refuse the same TTLs, so a bad configuration fails identically everywhere
 * (Redis would reject `PX 0` while a Map would silently store an already-expired entry).
 */
export function assertValidTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs < 1) {
    throw new RangeError(`challenge TTL must be a finite number of milliseconds >= 1, got ${ttlMs}`);
  }
}
