import { randomBytes, randomFillSync } from 'node:crypto';

/** Where a value's random bytes come from: `size` fresh bytes, never handed out before. */
export interface RandomSource {
  take(size: number): Buffer;
}

/** One node:crypto call per value: for code off the hot path, and the default where no pool is given. */
export const systemRandom: RandomSource = { take: (size) => randomBytes(size) };

/** Bytes drawn from node:crypto at a time. */
const POOL_BYTES = 4096;

/**
 * Random bytes for the ceremony path (envelope IVs, challenges, user handles, token secrets), drawn
 * from node:crypto a page at a time. Each node:crypto call costs several microseconds under load
 * whatever its size (a job object per call), more than the dozen or so bytes a value needs; one 4 KiB
 * draw serves a few hundred values. node:crypto's own randomUUID() pools the same way.
 *
 * Every byte is handed out once, as a copy, and zeroed in the pool as it goes, so no two values share
 * bytes and a value leaves no copy behind here.
 */
export class RandomPool implements RandomSource {
  #pool = Buffer.alloc(0);
  #offset = 0;

  take(size: number): Buffer {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('size must be a non-negative integer');
    if (size > POOL_BYTES / 4) return randomBytes(size);
    if (this.#offset + size > this.#pool.length) {
      // Its own memory, not Node's shared buffer pool: the unused rest is no one else's to see.
      this.#pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
      this.#offset = 0;
    }
    const value = Buffer.from(this.#pool.subarray(this.#offset, this.#offset + size));
    this.#pool.fill(0, this.#offset, this.#offset + size);
    this.#offset += size;
    return value;
  }
}
