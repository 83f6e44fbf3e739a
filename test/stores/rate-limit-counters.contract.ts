/**
 * Behaviour every RateLimitCounters must have, run unchanged against each backend.
 */
import { randomUUID } from 'node:crypto';
import type { RateLimitCounters } from '../../src/stores/rate-limit-counters.js';

export interface RateLimitCountersHarness {
  counters: RateLimitCounters;
  /** Releases everything makeCounters created. */
  cleanup: () => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function runRateLimitCountersContract(name: string, makeCounters: () => Promise<RateLimitCountersHarness> | RateLimitCountersHarness): void {
  describe(`${name} (RateLimitCounters contract)`, () => {
    let harness: RateLimitCountersHarness;
    let counters: RateLimitCounters;

    beforeEach(async () => {
      harness = await makeCounters();
      ({ counters } = harness);
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    test('allows `limit` calls in a window, then refuses until the window ends', async () => {
      const key = randomUUID();
      const counts = [];
      for (let i = 0; i < 4; i += 1) counts.push(await counters.consume(key, 3, 60));
      expect(counts.map((count) => count.allowed)).toEqual([true, true, true, false]);
      expect(counts[3]!.msBeforeNext).toBeGreaterThan(50_000);
      expect(counts[3]!.msBeforeNext).toBeLessThanOrEqual(60_000);
    });

    test('each key counts on its own', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      await counters.consume(a, 1, 60);
      await expect(counters.consume(a, 1, 60)).resolves.toMatchObject({ allowed: false });
      await expect(counters.consume(b, 1, 60)).resolves.toMatchObject({ allowed: true });
    });

    test('the count does not depend on the limit: a changed limit applies to the running window', async () => {
      const key = randomUUID();
      for (let i = 0; i < 3; i += 1) await counters.consume(key, 10, 60);
      await expect(counters.consume(key, 3, 60)).resolves.toMatchObject({ allowed: false });
      await expect(counters.consume(key, 10, 60)).resolves.toMatchObject({ allowed: true });
    });

    test('a new window starts from zero', async () => {
      const key = randomUUID();
      await counters.consume(key, 1, 1);
      await expect(counters.consume(key, 1, 1)).resolves.toMatchObject({ allowed: false });
      await sleep(1100);
      await expect(counters.consume(key, 1, 1)).resolves.toMatchObject({ allowed: true });
    });

    test('concurrent calls are each counted once', async () => {
      const key = randomUUID();
      const counts = await Promise.all(Array.from({ length: 10 }, () => counters.consume(key, 4, 60)));
      expect(counts.filter((count) => count.allowed)).toHaveLength(4);
    });

    test('a limit that is not a positive integer is refused', async () => {
      for (const limit of [0, -1, 1.5, Number.NaN]) await expect(counters.consume(randomUUID(), limit, 60)).rejects.toThrow(RangeError);
    });
  });
}
