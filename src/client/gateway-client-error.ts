import type { ErrorReason, HttpReason, RpcReason } from '../errors/gateway-error.js';

/** Reasons the client raises itself, before or after talking to the gateway. */
export type ClientSideReason =
  | 'network_error'
  | 'unexpected_reply'
  | 'not_signed_in'
  | 'ceremony_cancelled'
  | 'passkey_already_on_device'
  | 'webauthn_unsupported'
  | 'webauthn_failed';

/** Reasons the JSON-RPC layer itself answers with (the protocol's own, rather than a method's). */
export type RpcLevelReason = Exclude<RpcReason, ErrorReason>;

/** A server reason (README "Errors"), a client-side one, or a reason a newer gateway added. */
export type GatewayClientErrorReason = RpcReason | HttpReason | ClientSideReason | (string & {});

/**
 * The one error type the client throws. Apps switch on `reason`; `code` is the JSON-RPC error code
 * when the gateway answered with an error, and `method` the call that failed.
 */
export class GatewayClientError extends Error {
  readonly reason: GatewayClientErrorReason;
  readonly code: number | undefined;
  readonly method: string | undefined;

  constructor(reason: GatewayClientErrorReason, message: string, options: { code?: number; method?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayClientError';
    this.reason = reason;
    this.code = options.code;
    this.method = options.method;
  }
}

export function isGatewayClientError(value: unknown): value is GatewayClientError {
  return value instanceof GatewayClientError;
}
