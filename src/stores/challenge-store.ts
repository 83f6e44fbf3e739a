/**
 * Short-lived ceremony state. `consume` is atomic: of any number of concurrent callers for one id,
 * exactly one gets the value, and the value is gone afterwards whether or not that caller succeeds.
 */
export interface ChallengeStore {
  put(id: string, value: string, ttlMs: number): Promise<void>;
  consume(id: string): Promise<string | null>;
  /** Reads without consuming (revoked-session markers are checked on every authenticated call). */
  peek(id: string): Promise<string | null>;
  /** Answers when the backend is reachable; throws otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
