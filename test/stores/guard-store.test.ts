import { GatewayError } from '../../src/errors/gateway-error.js';
import { guardStore } from '../../src/stores/guard-store.js';

/** A store whose calls answer after `ms` (or never), as a slow or stuck backend would. */
function slowStore() {
  let answered = 0;
  return {
    kind: 'slow',
    answered: () => answered,
    after(ms: number, value: string): Promise<string> {
      return new Promise((resolve) => setTimeout(() => resolve(value), ms)).then((v) => ((answered += 1), v as string));
    },
    never(): Promise<string> {
      return new Promise(() => {});
    },
    refuse(): Promise<never> {
      return Promise.reject(new GatewayError('account_exists'));
    },
    fail(): Promise<never> {
      return Promise.reject(new Error('connection refused'));
    },
    now(): number {
      return 42;
    },
  };
}

type Outcome = [string, 'ok' | 'error' | 'timeout'];

describe('guardStore', () => {
  const guarded = (timeoutMs = 100) => {
    const outcomes: Outcome[] = [];
    const store = guardStore(slowStore(), { timeoutMs, observe: (operation, _seconds, outcome) => outcomes.push([operation, outcome]) });
    return { store, outcomes };
  };

  it('should answer calls within the bound and report them ok', async () => {
    const { store, outcomes } = guarded();
    await expect(store.after(5, 'a')).resolves.toBe('a');
    expect(store.now()).toBe(42);
    expect(outcomes).toEqual([['after', 'ok'], ['now', 'ok']]);
  });

  it('should fail a call past the bound with service_unavailable, and every later overdue call too', async () => {
    const { store, outcomes } = guarded(50);
    const first = store.never();
    const second = store.after(300, 'late');
    await expect(first).rejects.toMatchObject({ reason: 'service_unavailable' });
    // The timer is re-armed for the next call in flight, started after the first.
    await expect(second).rejects.toMatchObject({ reason: 'service_unavailable' });
    const third = store.never();
    await expect(third).rejects.toMatchObject({ reason: 'service_unavailable' });
    expect(outcomes).toEqual([['never', 'timeout'], ['after', 'timeout'], ['never', 'timeout']]);
    // A call that answers in time after all that still answers.
    await expect(store.after(5, 'b')).resolves.toBe('b');
  });

  it('should pass coded errors through and turn backend errors into service_unavailable', async () => {
    const { store, outcomes } = guarded();
    await expect(store.refuse()).rejects.toMatchObject({ reason: 'account_exists' });
    await expect(store.fail()).rejects.toMatchObject({ reason: 'service_unavailable', detail: 'connection refused' });
    expect(outcomes).toEqual([['refuse', 'ok'], ['fail', 'error']]);
  });

  it('should keep a call that answers in time when an older one is still pending', async () => {
    const { store } = guarded(80);
    const stuck = store.never().catch((error: unknown) => error);
    await expect(store.after(10, 'fast')).resolves.toBe('fast');
    expect(await stuck).toMatchObject({ reason: 'service_unavailable' });
  });

  it('should read plain properties from the store as they are', () => {
    const { store } = guarded();
    expect(store.kind).toBe('slow');
  });
});
