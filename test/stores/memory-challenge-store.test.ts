import { MemoryChallengeStore } from '../../src/stores/memory-challenge-store.js';

/** A hand-driven clock, so expiry is tested without sleeping. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('MemoryChallengeStore specifics', () => {
  const stores: MemoryChallengeStore[] = [];
  const make = (options: ConstructorParameters<typeof MemoryChallengeStore>[0] = {}) => {
    const store = new MemoryChallengeStore(options);
    stores.push(store);
    return store;
  };

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  test('an entry expires exactly at its TTL and an expired entry is removed on consume', async () => {
    const clock = manualClock();
    const store = make({ now: clock.now });
    await store.put('a', 'v', 1000);
    await store.put('b', 'v', 1000);
    clock.advance(999);
    await expect(store.consume('a')).resolves.toBe('v');
    clock.advance(1);
    await expect(store.consume('b')).resolves.toBeNull();
    expect(store.size).toBe(0);
  });

  test('peek expires exactly at the TTL and drops the expired entry', async () => {
    const clock = manualClock();
    const store = make({ now: clock.now });
    await store.put('a', 'v', 1000);
    clock.advance(999);
    await expect(store.peek('a')).resolves.toBe('v');
    expect(store.size).toBe(1);
    clock.advance(1);
    await expect(store.peek('a')).resolves.toBeNull();
    expect(store.size).toBe(0);
  });

  test('sweep removes only expired entries', async () => {
    const clock = manualClock();
    const store = make({ now: clock.now });
    await store.put('short', 'v', 100);
    await store.put('long', 'v', 10_000);
    clock.advance(500);
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(1);
    await expect(store.consume('long')).resolves.toBe('v');
  });

  test('the periodic sweep runs on an unref-ed timer', async () => {
    const clock = manualClock();
    const store = make({ now: clock.now, sweepIntervalMs: 10 });
    await store.put('a', 'v', 100);
    clock.advance(1000);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(store.size).toBe(0);
    // The timer must not keep a gateway process alive on shutdown.
    expect(store['timer'].hasRef()).toBe(false);
  });

  test('when full, put evicts expired entries before live ones', async () => {
    const clock = manualClock();
    const store = make({ now: clock.now, maxEntries: 3 });
    await store.put('oldest-live', '1', 10_000);
    await store.put('expiring', '2', 100);
    await store.put('live', '3', 10_000);
    clock.advance(200);
    await store.put('new', '4', 10_000);
    expect(store.size).toBe(3);
    await expect(store.consume('oldest-live')).resolves.toBe('1');
    await expect(store.consume('live')).resolves.toBe('3');
    await expect(store.consume('new')).resolves.toBe('4');
  });

  test('when full of live entries, put evicts the oldest', async () => {
    const clock = manualClock();
    const store = make({ now: clock.now, maxEntries: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      await store.put(id, id, 10_000);
      clock.advance(1);
    }
    expect(store.size).toBe(3);
    const values = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => store.consume(id)));
    expect(values).toEqual([null, null, 'c', 'd', 'e']);
  });

  test('re-putting an id makes it the youngest entry', async () => {
    const store = make({ maxEntries: 2 });
    await store.put('a', '1', 10_000);
    await store.put('b', '2', 10_000);
    await store.put('a', '1b', 10_000);
    await store.put('c', '3', 10_000);
    await expect(store.consume('b')).resolves.toBeNull();
    await expect(store.consume('a')).resolves.toBe('1b');
  });

  test('maxEntries must be a positive integer', () => {
    expect(() => new MemoryChallengeStore({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => new MemoryChallengeStore({ maxEntries: 1.5 })).toThrow(RangeError);
  });
});
