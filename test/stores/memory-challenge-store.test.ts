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

  test('maxEntries and maxEntriesPerOwner must be positive integers', () => {
    expect(() => new MemoryChallengeStore({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => new MemoryChallengeStore({ maxEntries: 1.5 })).toThrow(RangeError);
    expect(() => new MemoryChallengeStore({ maxEntriesPerOwner: 0 })).toThrow(RangeError);
  });

  test('an owner at its bound loses its own oldest entries, never another owner\'s, and each eviction is reported', async () => {
    const evicted: string[] = [];
    const store = make({ maxEntries: 100, maxEntriesPerOwner: 3, onEvict: (bound) => evicted.push(bound) });
    await store.put('victim', 'v', 10_000, '203.0.113.7');
    for (let i = 0; i < 10; i += 1) await store.put(`flood-${i}`, 'f', 10_000, '198.51.100.1');
    expect(store.size).toBe(4);
    expect(evicted).toEqual(Array(7).fill('owner'));
    await expect(store.consume('victim')).resolves.toBe('v');
    const flood = await Promise.all(Array.from({ length: 10 }, (_, i) => store.consume(`flood-${i}`)));
    expect(flood).toEqual([...Array<null>(7).fill(null), 'f', 'f', 'f']);
  });

  test('an owner\'s expired entries make room before its live ones, and are not counted as evictions', async () => {
    const clock = manualClock();
    const evicted: string[] = [];
    const store = make({ now: clock.now, maxEntriesPerOwner: 2, onEvict: (bound) => evicted.push(bound) });
    await store.put('short', 's', 100, 'a');
    await store.put('long', 'l', 10_000, 'a');
    clock.advance(200);
    await store.put('new', 'n', 10_000, 'a');
    expect(evicted).toEqual([]);
    await expect(store.consume('long')).resolves.toBe('l');
    await expect(store.consume('new')).resolves.toBe('n');
  });

  test('the overall bound evicts the oldest of anyone and reports it', async () => {
    const evicted: string[] = [];
    const store = make({ maxEntries: 2, maxEntriesPerOwner: 2, onEvict: (bound) => evicted.push(bound) });
    await store.put('a', '1', 10_000, 'x');
    await store.put('b', '2', 10_000, 'y');
    await store.put('c', '3', 10_000, 'z');
    expect(evicted).toEqual(['total']);
    await expect(store.consume('a')).resolves.toBeNull();
    await expect(store.consume('c')).resolves.toBe('3');
  });

  test('consumed and re-put entries leave their owner\'s count', async () => {
    const store = make({ maxEntriesPerOwner: 2 });
    await store.put('a', '1', 10_000, 'x');
    await store.put('b', '2', 10_000, 'x');
    await store.consume('a');
    await store.put('b', '2b', 10_000, 'x');
    await store.put('c', '3', 10_000, 'x');
    await expect(store.consume('b')).resolves.toBe('2b');
    await expect(store.consume('c')).resolves.toBe('3');
  });
});
