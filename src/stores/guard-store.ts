import { GatewayError, isGatewayError } from '../errors/gateway-error.js';

export interface GuardOptions {
  /** Longest a call may take before it fails with service_unavailable. Default 2000 ms. */
  timeoutMs?: number;
  /** Told the duration of every call (for store latency metrics). */
  observe?: (operation: string, seconds: number, outcome: 'ok' | 'error' | 'timeout') => void;
}

/**
 * Wraps a store so any failure of its backend reaches callers as `service_unavailable` (the
 * cause kept for the log), while coded errors pass through unchanged; a call that takes longer
 * than `timeoutMs` fails the same way. The backend call itself is not cancelled: reconnecting
 * and dropping stuck connections is the drivers' job (ioredis, pg pool), so a request never waits
 * on them for longer than the bound.
 */
export function guardStore<T extends object>(store: T, options: GuardOptions = {}): T {
  const timeoutMs = options.timeoutMs ?? 2000;
  const observe = options.observe;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'close') return value;
      const operation = String(property);
      return (...args: unknown[]) => {
        const started = performance.now();
        const done = (outcome: 'ok' | 'error' | 'timeout') => observe?.(operation, (performance.now() - started) / 1000, outcome);
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          done(isGatewayError(error) ? 'ok' : 'error');
          throw unavailable(error);
        }
        if (!(result instanceof Promise)) {
          done('ok');
          return result;
        }
        return withDeadline(result as Promise<unknown>, timeoutMs, operation).then(
          (resolved: unknown) => {
            done('ok');
            return resolved;
          },
          (error: unknown) => {
            done(error instanceof StoreTimeout ? 'timeout' : isGatewayError(error) ? 'ok' : 'error');
            throw unavailable(error);
          },
        );
      };
    },
  });
}

class StoreTimeout extends Error {
  constructor(operation: string, timeoutMs: number) {
    super(`store call ${operation} took longer than ${timeoutMs} ms`);
    this.name = 'StoreTimeout';
  }
}

function withDeadline<V>(promise: Promise<V>, timeoutMs: number, operation: string): Promise<V> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeout(operation, timeoutMs)), timeoutMs);
  });
  // A late rejection of the abandoned call must not surface as an unhandled rejection.
  promise.catch(() => {});
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function unavailable(error: unknown): unknown {
  if (isGatewayError(error)) return error;
  return new GatewayError('service_unavailable', error instanceof Error ? error.message : String(error), { cause: error });
}
