import { GatewayError, isGatewayError } from '../errors/gateway-error.js';

/**
 * Wraps a store so any failure of its backend reaches callers as `service_unavailable` (the
 * cause kept for the log), while coded errors pass through unchanged.
 */
export function guardStore<T extends object>(store: T): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'close') return value;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          throw unavailable(error);
        }
        return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(unavailable(error))) : result;
      };
    },
  });
}

function unavailable(error: unknown): unknown {
  if (isGatewayError(error)) return error;
  return new GatewayError('service_unavailable', error instanceof Error ? error.message : String(error), { cause: error });
}
