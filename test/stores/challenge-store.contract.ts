/**
 * Behaviour every ChallengeStore must have, run unchanged against each backend
 * (the pattern of Hono's router/common.case.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ChallengeStore } from '../../src/stores/challenge-store.js';

export interface ChallengeStoreHarness {
  store: ChallengeStore;
  /** Releases everything makeStore created; must tolerate a store that was already closed. */
  cleanup: () => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function runChallengeStoreContract(name: string, makeStore: () => Promise<ChallengeStoreHarness> | ChallengeStoreHarness): void {
  describe(`${name} (ChallengeStore contract)`, () => {
    let harness: ChallengeStoreHarness;
    let store: ChallengeStore;

    beforeEach(async () => {
      harness = await makeStore();
      store = harness.store;
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    test('consume returns a stored value exactly once', async () => {
      const id = randomUUID();
      await store.put(id, 'challenge-value', 60_000);
      await expect(store.consume(id)).resolves.toBe('challenge-value');
      await expect(store.consume(id)).resolves.toBeNull();
    });

    test('consume of an unknown id is null', async () => {
      await expect(store.consume(randomUUID())).resolves.toBeNull();
    });

    test('entries are independent of each other', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      await store.put(a, 'value-a', 60_000);
      await store.put(b, 'value-b', 60_000);
      await expect(store.consume(b)).resolves.toBe('value-b');
      await expect(store.consume(a)).resolves.toBe('value-a');
    });

    test('put over an existing id replaces its value', async () => {
      const id = randomUUID();
      await store.put(id, 'first', 60_000);
      await store.put(id, 'second', 60_000);
      await expect(store.consume(id)).resolves.toBe('second');
      await expect(store.consume(id)).resolves.toBeNull();
    });

    test('an entry is gone after its TTL', async () => {
      const [short, long] = [randomUUID(), randomUUID()];
      await store.put(short, 'short-lived', 50);
      await store.put(long, 'long-lived', 60_000);
      await sleep(150);
      await expect(store.consume(short)).resolves.toBeNull();
      await expect(store.consume(long)).resolves.toBe('long-lived');
    });

    test('a TTL below 1 ms or not finite is refused', async () => {
      const id = randomUUID();
      await expect(store.put(id, 'v', 0)).rejects.toThrow(RangeError);
      await expect(store.put(id, 'v', -5)).rejects.toThrow(RangeError);
      await expect(store.put(id, 'v', Number.NaN)).rejects.toThrow(RangeError);
      await expect(store.put(id, 'v', Number.POSITIVE_INFINITY)).rejects.toThrow(RangeError);
      await expect(store.consume(id)).resolves.toBeNull();
    });

    test('ten concurrent consumes of one id: exactly one gets the value', async () => {
      const id = randomUUID();
      await store.put(id, 'contended', 60_000);
      const results = await Promise.all(Array.from({ length: 10 }, () => store.consume(id)));
      expect(results.filter((value) => value !== null)).toEqual(['contended']);
    });

    test('unicode ids and values round-trip unchanged', async () => {
      const id = `défi-🔑-${randomUUID()}`;
      const value = JSON.stringify({ user: 'Zoë Ångström', note: '密码 🗝️ e\u0301 \u0000 \u{1F9D1}\u200D\u{1F4BB}' });
      await store.put(id, value, 60_000);
      await expect(store.consume(id)).resolves.toBe(value);
    });

    test('a large value round-trips unchanged', async () => {
      const id = randomUUID();
      const value = 'x'.repeat(64 * 1024) + '✓';
      await store.put(id, value, 60_000);
      await expect(store.consume(id)).resolves.toBe(value);
    });

    test('ping answers while open; close resolves and ping then fails', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await expect(store.close()).resolves.toBeUndefined();
      await expect(store.ping()).rejects.toThrow();
      // A second close is harmless (shutdown paths may call it twice).
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
}
