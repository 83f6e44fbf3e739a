import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Hit and miss counts of one unwrap cache since it was made, for the metrics endpoint. */
export interface UnwrapCacheStats {
  hits: number;
  /** Headers that needed an RSA decryption (whether it succeeded or not). */
  misses: number;
  /** Headers refused again from the remembered failures, without a decryption. */
  failureHits: number;
  /** Entries held right now. */
  size: number;
}

export interface UnwrapCacheOptions<V> {
  /** Most distinct key headers remembered; the least recently used goes first. Default 10 000. */
  max?: number;
  /** How long an entry lives after its last use. Default 1 hour. */
  ttlMs?: number;
  /** Most distinct failed headers remembered. Default 10 000. */
  maxFailures?: number;
  /** How long a failed header is answered without another decryption. Default 1 minute. */
  failureTtlMs?: number;
  /** Told each value this cache had to compute, with its id (to share it with sibling caches). */
  onUnwrap?: (id: string, value: V) => void;
}


/**
 * Remembers what each distinct `X-Encrypted-Key` header unwrapped to, so a client that keeps its
 * AES key (as the SDK does) pays the RSA-OAEP unwrap (~0.3 ms of CPU) once instead of per call.
 * Keyed by SHA-256 of the header, so the cache holds no wrapped key material. A header that failed
 * is remembered too, for a short while and in a bounded set of its own, and fails again with the
 * same error without another decryption: resending one junk header (a batch of twenty calls, say)
 * costs one RSA operation, not one per call. One cache belongs to one RSA key ring.
 */
export class UnwrapCache<V extends object> {
  private readonly entries: LRUCache<string, V>;
  private readonly failures: LRUCache<string, { error: unknown }>;
  private readonly onUnwrap: ((id: string, value: V) => void) | undefined;
  private readonly counts = { hits: 0, misses: 0, failureHits: 0 };

  constructor(options: UnwrapCacheOptions<V> = {}) {
    this.entries = new LRUCache<string, V>({ max: options.max ?? 10_000, ttl: options.ttlMs ?? 3_600_000, updateAgeOnGet: true });
    // Not refreshed on use: a header keeps failing for free only until its entry runs out.
    this.failures = new LRUCache<string, { error: unknown }>({ max: options.maxFailures ?? 10_000, ttl: options.failureTtlMs ?? 60_000 });
    this.onUnwrap = options.onUnwrap;
  }

  /** The value for `header`, computing (and remembering) it with `unwrap` on a miss; a remembered failure is thrown again. */
  getOrUnwrap(header: string, unwrap: () => V): V {
    const id = createHash('sha256').update(header).digest('base64');
    const cached = this.entries.get(id);
    if (cached !== undefined) {
      this.counts.hits += 1;
      return cached;
    }
    const failed = this.failures.get(id);
    if (failed !== undefined) {
      this.counts.failureHits += 1;
      throw failed.error;
    }
    this.counts.misses += 1;
    let value: V;
    try {
      value = unwrap();
    } catch (error) {
      this.failures.set(id, { error });
      throw error;
    }
    this.entries.set(id, value);
    this.onUnwrap?.(id, value);
    return value;
  }

  /** Takes an entry a sibling cache computed (same id scheme), without counting a hit or miss. */
  adopt(id: string, value: V): void {
    this.entries.set(id, value);
  }

  /** Forgets every entry, e.g. when the key ring changes. */
  clear(): void {
    this.entries.clear();
    this.failures.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  stats(): UnwrapCacheStats {
    return { ...this.counts, size: this.entries.size };
  }
}
