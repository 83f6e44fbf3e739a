import { createDecoyShapeCache } from '../../src/authentication/decoy-shape-cache.js';
import { shapeSample } from '../../src/authentication/decoy-credentials.js';
import { createLogger } from '../../src/log/logger.js';
import type { CredentialShape } from '../../src/domain/account.js';

const one = (id_length: number): CredentialShape[][] => [[{ id_length, transports: ['internal'] }]];

/** A store whose credentialShapes calls wait until the test settles them, in order. */
function heldStore() {
  const calls: Array<{ scopeId: string; limit: number; createdBefore: string; resolve: (shapes: CredentialShape[][]) => void; reject: (error: Error) => void }> = [];
  return {
    calls,
    accounts: {
      credentialShapes: (scopeId: string, limit: number, createdBefore: string) =>
        new Promise<CredentialShape[][]>((resolve, reject) => {
          calls.push({ scopeId, limit, createdBefore, resolve, reject });
        }),
    },
  };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('decoy shape cache (per-scope samples for unknown-user answers)', () => {
  let clock = 0;
  const logLines: string[] = [];
  const log = createLogger('warn', { write: (line: string) => logLines.push(line) });
  const make = (accounts: ReturnType<typeof heldStore>['accounts']) => createDecoyShapeCache({ accounts, log, periodMs: 1000, sampleAccounts: 7, now: () => clock });
  /** A cache that has read its first sample of scope s1: 16-byte ids. */
  const sampled = async () => {
    const store = heldStore();
    const cache = make(store.accounts);
    const first = cache.sample('s1');
    store.calls[0]!.resolve(one(16));
    await first;
    return { store, cache };
  };

  beforeEach(() => {
    clock = 0;
    logLines.length = 0;
  });

  it('should make the first callers of a scope wait for one load, then answer from memory', async () => {
    const store = heldStore();
    const cache = make(store.accounts);
    const first = cache.sample('s1');
    const second = cache.sample('s1');
    // The sample holds the accounts created before the current period began.
    expect(store.calls.map(({ scopeId, limit, createdBefore }) => [scopeId, limit, createdBefore])).toEqual([['s1', 7, '1970-01-01T00:00:00.000Z']]);
    store.calls[0]!.resolve(one(16));
    await expect(first).resolves.toEqual(shapeSample(one(16)));
    await expect(second).resolves.toEqual(shapeSample(one(16)));
    clock = 999;
    await expect(cache.sample('s1')).resolves.toEqual(shapeSample(one(16)));
    expect(store.calls).toHaveLength(1);
    // Another scope has a sample of its own. Not awaited: its load is held in the store and never
    // settled; only the read it starts matters here.
    void cache.sample('s2');
    expect(store.calls.map(({ scopeId }) => scopeId)).toEqual(['s1', 's2']);
  });

  it('should serve a stale sample at once while one refresh reads the next', async () => {
    const { store, cache } = await sampled();
    clock = 1000;
    await expect(cache.sample('s1')).resolves.toEqual(shapeSample(one(16)));
    await expect(cache.sample('s1')).resolves.toEqual(shapeSample(one(16)));
    expect(store.calls).toHaveLength(2);
    store.calls[1]!.resolve(one(32));
    await settle();
    await expect(cache.sample('s1')).resolves.toEqual(shapeSample(one(32)));
    expect(store.calls).toHaveLength(2);
  });

  it('should read a new period\'s sample with that period\'s cutoff, so every process draws from the same accounts', async () => {
    const store = heldStore();
    const cache = make(store.accounts);
    clock = 1500;
    const first = cache.sample('s1');
    store.calls[0]!.resolve(one(16));
    await first;
    clock = 1999;
    await cache.sample('s1');
    expect(store.calls).toHaveLength(1);
    clock = 3001;
    await cache.sample('s1');
    expect(store.calls.map(({ createdBefore }) => createdBefore)).toEqual(['1970-01-01T00:00:01.000Z', '1970-01-01T00:00:03.000Z']);
  });

  it('should keep the previous sample when a refresh fails, and try again a minute later', async () => {
    const { store, cache } = await sampled();
    clock = 1000;
    await cache.sample('s1');
    store.calls[1]!.reject(new Error('database away'));
    await settle();
    expect(logLines.join('')).toContain('decoy shape sample refresh failed');
    await expect(cache.sample('s1')).resolves.toEqual(shapeSample(one(16)));
    expect(store.calls).toHaveLength(2);
    clock = 60_999;
    await cache.sample('s1');
    expect(store.calls).toHaveLength(2);
    clock = 61_000;
    await cache.sample('s1');
    expect(store.calls).toHaveLength(3);
  });

  it('should not keep a failed first load: every waiter sees the failure and the next call loads again', async () => {
    const store = heldStore();
    const cache = make(store.accounts);
    const first = cache.sample('s1');
    const second = cache.sample('s1');
    store.calls[0]!.reject(new Error('database away'));
    await expect(first).rejects.toThrow('database away');
    await expect(second).rejects.toThrow('database away');
    const retried = cache.sample('s1');
    expect(store.calls).toHaveLength(2);
    store.calls[1]!.resolve(one(64));
    await expect(retried).resolves.toEqual(shapeSample(one(64)));
  });

  it('should stay quiet about a refresh that closing cut short', async () => {
    const { store, cache } = await sampled();
    clock = 1000;
    await cache.sample('s1');
    cache.close();
    store.calls[1]!.reject(new Error('store closed'));
    await settle();
    expect(logLines).toEqual([]);
  });
});
