import { randomBytes } from 'node:crypto';
import { openEnvelope, sealEnvelope } from '../../src/envelope/aes-gcm-envelope.js';
import { RandomPool } from '../../src/keys/random-pool.js';

describe('RandomPool', () => {
  it('should hand out values of the size asked for, from none to more than a pool holds', () => {
    const pool = new RandomPool();
    for (const size of [0, 1, 12, 32, 100, 1024, 1025, 5000]) expect(pool.take(size)).toHaveLength(size);
    expect(() => pool.take(-1)).toThrow(RangeError);
    expect(() => pool.take(1.5)).toThrow(RangeError);
  });

  it('should never hand out the same bytes twice, across many refills', () => {
    const pool = new RandomPool();
    // 12-byte values (IVs) over about 30 pool refills: a repeat would mean bytes were served twice.
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i += 1) seen.add(pool.take(12).toString('hex'));
    expect(seen.size).toBe(10_000);
  });

  it('should look random: every byte value about as often, over a megabyte of small values', () => {
    const pool = new RandomPool();
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 32_768; i += 1) for (const byte of pool.take(32)) counts[byte]! += 1;
    // 4,096 expected per value; a stuck, zeroed or repeating pool lands far outside ±15 %.
    expect(Math.min(...counts)).toBeGreaterThan(4096 * 0.85);
    expect(Math.max(...counts)).toBeLessThan(4096 * 1.15);
  });

  it('should give each caller its own copy: changing one value changes no other', () => {
    const pool = new RandomPool();
    const first = pool.take(16);
    const second = pool.take(16);
    const secondAsTaken = Buffer.from(second);
    first.fill(0xff);
    expect(second.equals(secondAsTaken)).toBe(true);
    // Nor what the pool hands out next: no value is a view of the pool.
    const third = pool.take(16);
    expect(third.equals(Buffer.alloc(16, 0xff))).toBe(false);
  });

  it('should seal envelopes with a fresh IV each time', () => {
    const pool = new RandomPool();
    const key = randomBytes(32);
    const sealed = Array.from({ length: 500 }, () => sealEnvelope(key, 'same', pool));
    expect(new Set(sealed.map((envelope) => Buffer.from(envelope, 'base64').subarray(0, 12).toString('hex'))).size).toBe(500);
    for (const envelope of sealed.slice(0, 5)) expect(openEnvelope(key, envelope)).toBe('same');
  });
});
