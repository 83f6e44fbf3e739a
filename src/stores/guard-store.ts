import { GatewayError, isGatewayError } from '../errors/gateway-error.js';

export interface GuardOptions {
  /** Longest a call may take before it fails with service_unavailable. Default 2000 ms. */
  timeoutMs?: number;
  /** Told the duration of every call (for store latency metrics). */
  observe?: (operation: string, seconds: number, outcome: 'ok' | 'error' | 'timeout') => void;
}

/** A call in flight: when it started and how to fail it at its deadline. */
interface Pending {
  readonly started: number;
  readonly operation: string;
  expire(): void;
}

/**
 * Wraps a store so any failure of its backend reaches callers as `service_unavailable` (the
 * cause kept for the log), while coded errors pass through unchanged; a call that takes longer
 * than `timeoutMs` fails the same way. The backend call itself is not cancelled: reconnecting
 * and dropping stuck connections is the drivers' job (ioredis, pg pool), so a request never waits
 * on them for longer than the bound.
 *
 * The wrapper is a plain object with one wrapped function per method, made once, and one timer
 * per guard for the oldest call in flight (every call has the same bound, so deadlines come in the
 * order calls start): a store call costs a set insertion, not a proxy trap and a timer of its own.
 */
export function guardStore<T extends object>(store: T, options: GuardOptions = {}): T {
  const timeoutMs = options.timeoutMs ?? 2000;
  const observe = options.observe;
  const inFlight = new Set<Pending>();
  let timer: NodeJS.Timeout | undefined;

  const expireOverdue = () => {
    timer = undefined;
    const now = performance.now();
    for (const pending of inFlight) {
      if (now - pending.started < timeoutMs) {
        arm(pending.started + timeoutMs - now);
        return;
      }
      inFlight.delete(pending);
      pending.expire();
    }
  };
  const arm = (inMs: number) => {
    // Unref'd: a store call in flight never keeps the process alive on its own.
    timer = setTimeout(expireOverdue, Math.max(1, Math.ceil(inMs)));
    timer.unref();
  };

  const guarded = (operation: string, method: (...args: unknown[]) => unknown) =>
    (...args: unknown[]): unknown => {
      const started = performance.now();
      const done = (outcome: 'ok' | 'error' | 'timeout') => observe?.(operation, (performance.now() - started) / 1000, outcome);
      let result: unknown;
      try {
        result = method.apply(store, args);
      } catch (error) {
        done(isGatewayError(error) ? 'ok' : 'error');
        throw unavailable(error);
      }
      if (!(result instanceof Promise)) {
        done('ok');
        return result;
      }
      return new Promise((resolve, reject) => {
        const pending: Pending = {
          started,
          operation,
          expire() {
            done('timeout');
            reject(unavailable(new Error(`store call ${operation} took longer than ${timeoutMs} ms`)));
          },
        };
        inFlight.add(pending);
        if (timer === undefined) arm(timeoutMs);
        (result as Promise<unknown>).then(
          (value) => {
            // Already failed at its deadline: the late answer is dropped.
            if (!inFlight.delete(pending)) return;
            done('ok');
            resolve(value);
          },
          (error: unknown) => {
            if (!inFlight.delete(pending)) return;
            done(isGatewayError(error) ? 'ok' : 'error');
            reject(unavailable(error));
          },
        );
      });
    };

  const wrapper: Record<PropertyKey, unknown> = {};
  for (const name of methodNames(store)) {
    const value: unknown = Reflect.get(store, name);
    if (typeof value !== 'function') Object.defineProperty(wrapper, name, { get: () => Reflect.get(store, name), enumerable: true });
    else if (name === 'close') wrapper[name] = (value as (...args: unknown[]) => unknown).bind(store);
    else wrapper[name] = guarded(String(name), value as (...args: unknown[]) => unknown);
  }
  return wrapper as T;
}

/** Every property of the store and of its prototypes (class-based stores keep methods there). */
function methodNames(store: object): Set<PropertyKey> {
  const names = new Set<PropertyKey>();
  for (let at: object | null = store; at !== null && at !== Object.prototype; at = Object.getPrototypeOf(at) as object | null) {
    for (const name of Reflect.ownKeys(at)) if (name !== 'constructor') names.add(name);
  }
  return names;
}

function unavailable(error: unknown): Error {
  if (isGatewayError(error)) return error;
  return new GatewayError('service_unavailable', error instanceof Error ? error.message : String(error), { cause: error });
}
