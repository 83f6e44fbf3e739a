import type { HttpReason, RpcReason } from '../errors/gateway-error.js';

/** Reasons the helper raises itself, before or after talking to the gateway. */
export type HelperReason = 'network_error' | 'unexpected_reply';

/** A gateway reason (README "Errors"), one of the helper's own, or a reason a newer gateway added. */
export type GatewayServerErrorReason = RpcReason | HttpReason | HelperReason | (string & {});

/**
 * The one error type the helper throws for anything outside the calling code: apps switch on
 * `reason` (the gateway's machine-readable reason, or the helper's own), never on messages. `code`
 * is the JSON-RPC error code when the gateway answered with an error, `status` the HTTP status when
 * it answered with no JSON-RPC reply at all, and `method` the call that failed.
 */
export class GatewayServerError extends Error {
  readonly reason: GatewayServerErrorReason;
  readonly code: number | undefined;
  readonly status: number | undefined;
  readonly method: string | undefined;

  constructor(reason: GatewayServerErrorReason, message: string, options: { code?: number; status?: number; method?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayServerError';
    this.reason = reason;
    this.code = options.code;
    this.status = options.status;
    this.method = options.method;
  }
}

export function isGatewayServerError(value: unknown): value is GatewayServerError {
  return value instanceof GatewayServerError;
}
