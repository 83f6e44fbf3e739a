/**
 * Both challenge stores refuse the same TTLs, so a bad configuration fails identically everywhere
 * (Redis would reject `PX 0` while a Map would silently store an already-expired entry).
 */
export function assertValidTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs < 1) {
    throw new RangeError(`challenge TTL must be a finite number of milliseconds >= 1, got ${ttlMs}`);
  }
}
