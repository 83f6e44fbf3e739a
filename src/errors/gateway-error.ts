import { limits } from '../domain/limits.js';

/**
 * Every reason the gateway answers with, in one table. A JSON-RPC reason has its error code and
 * client-safe message (and comes back with HTTP 200, as the SDK needs); a reason the HTTP edge
 * answers before any JSON-RPC has its HTTP status. Callers switch on `reason`, never on messages.
 */
export const errorTable = {
  parse_error: { code: -32700, message: 'Parse error' },
  invalid_request: { code: -32600, message: 'Invalid request' },
  batch_too_large: { code: -32600, message: `Invalid request: a batch holds at most ${limits.batchLength} calls` },
  method_not_found: { code: -32601, message: 'Method not found' },
  envelope_invalid: { code: -32001, message: 'Encrypted payload could not be opened' },
  scope_required: { code: -32002, message: 'X-Scope-Id header is missing or malformed' },
  scope_not_found: { code: -32003, message: 'Unknown scope' },
  origin_not_allowed: { code: -32004, message: 'Origin is not allowed for this scope' },
  invalid_params: { code: -32602, message: 'Invalid params' },
  account_exists: { code: -32010, message: 'An account with this username already exists' },
  challenge_not_found: { code: -32011, message: 'Challenge not found or expired' },
  challenge_mismatch: { code: -32012, message: 'Challenge does not belong to this request' },
  verification_failed: { code: -32013, message: 'Passkey verification failed' },
  credential_exists: { code: -32014, message: 'This passkey is already registered' },
  account_disabled: { code: -32015, message: 'This account is disabled' },
  counter_regression: { code: -32016, message: 'Passkey signature counter went backwards; the passkey may be cloned' },
  backup_eligibility_changed: { code: -32017, message: 'This passkey changed whether it can be backed up, which this scope does not allow' },
  backup_eligibility_refused: { code: -32018, message: 'This scope does not take this kind of passkey (synced, or bound to one device)' },
  attestation_untrusted: { code: -32019, message: 'The authenticator could not be verified as a trusted model' },
  session_invalid: { code: -32020, message: 'Session is missing, invalid, expired or revoked' },
  credential_not_found: { code: -32021, message: 'No such passkey on this account' },
  last_credential: { code: -32022, message: 'The last passkey of an account cannot be deleted' },
  too_many_credentials: { code: -32023, message: 'This account holds the most passkeys allowed' },
  account_not_found: { code: -32024, message: 'No such account in this scope' },
  reauthentication_required: { code: -32025, message: 'This needs a recent sign-in: sign in with a passkey again' },
  authenticator_not_allowed: { code: -32026, message: 'This authenticator model is not allowed in this scope' },
  unknown_credential: { code: -32027, message: 'No account holds this passkey' },
  admin_unauthorized: { code: -32030, message: 'Admin bearer token missing or wrong' },
  // Server methods: one answer for a missing, malformed, unknown or revoked key (or a wrong admin token).
  unauthorized: { code: -32031, message: 'Bearer API key or admin token missing, wrong or revoked' },
  scope_mismatch: { code: -32032, message: 'This API key belongs to another scope' },
  api_key_not_found: { code: -32033, message: 'No such working API key in this scope' },
  too_many_api_keys: { code: -32034, message: `A scope holds at most ${limits.apiKeysPerScope} working API keys` },
  invite_invalid: { code: -32035, message: 'An operator registration needs a valid, unused invite' },
  scope_reserved: { code: -32036, message: "The operators' scope is configured by the gateway itself" },
  delegate_key_unknown: { code: -32040, message: 'No such delegate key in this scope' },
  key_signature_invalid: { code: -32041, message: 'The key signature could not be read or does not verify' },
  key_signature_mismatch: { code: -32042, message: 'The key signature is over something other than the sealed user of this call' },
  key_signature_replayed: { code: -32043, message: 'This key signature was already used' },
  key_signature_expired: { code: -32044, message: 'The signed user is too old or from the future: issued_at must be within 5 minutes of now' },
  chain_not_allowed: { code: -32045, message: 'This scope does not sign for that chain' },
  address_mismatch: { code: -32046, message: 'The address is not the signed-in account\'s' },
  delegate_key_exists: { code: -32047, message: 'The scope already has this delegate key' },
  too_many_delegate_keys: { code: -32048, message: `A scope holds at most ${limits.delegateKeysPerScope} delegate keys` },
  token_invalid: { code: -32070, message: 'The token is unknown, used, expired or of another scope' },
  recovery_failed: { code: -32071, message: 'Account recovery failed: check the username and the recovery code' },
  second_factor_only: { code: -32072, message: 'This passkey is a second factor: sign in with the app first' },
  webhook_not_found: { code: -32060, message: 'No such webhook in this scope' },
  webhook_url_refused: { code: -32061, message: 'Webhook URL refused: it must be https:// to a public address (http:// and loopback only with WEBHOOK_ALLOW_LOOPBACK=on)' },
  too_many_webhooks: { code: -32062, message: `A scope holds at most ${limits.webhooksPerScope} webhooks` },
  service_unavailable: { code: -32050, message: 'A backing service is unavailable, try again' },
  rate_limited: { code: -32051, message: 'Too many attempts, try again later' },
  // Also the HTTP edge's answer (status 500) to a failure outside any JSON-RPC call.
  internal_error: { code: -32603, status: 500, message: 'Internal error' },
  // The HTTP edge: answered with the status, a JSON body {"error": reason}, and no JSON-RPC.
  not_found: { status: 404, message: 'Not found' },
  method_not_allowed: { status: 405, message: 'Method not allowed' },
  payload_too_large: { status: 413, message: 'Request body too large' },
  unsupported_media_type: { status: 415, message: 'Content-Type must be application/json' },
  request_header_fields_too_large: { status: 431, message: 'Request headers too large' },
} as const satisfies Record<string, { code?: number; status?: number; message: string }>;

type Table = typeof errorTable;
/** Reasons answered as JSON-RPC errors. */
export type RpcReason = { [K in keyof Table]: Table[K] extends { code: number } ? K : never }[keyof Table];
/** Reasons the HTTP edge answers with a status of their own. */
export type HttpReason = { [K in keyof Table]: Table[K] extends { status: number } ? K : never }[keyof Table];
/**
 * Reasons the gateway's own code raises (the JSON-RPC layer raises the protocol ones); method_not_found
 * too, for methods a scope has not turned on.
 */
export type ErrorReason = Exclude<RpcReason, 'parse_error' | 'invalid_request' | 'batch_too_large'>;

/** The JSON-RPC reasons, by name, as the contract document lists them. */
export const rpcReasons = Object.keys(errorTable).filter((reason) => 'code' in errorTable[reason as keyof Table]) as RpcReason[];

export class GatewayError extends Error {
  readonly reason: ErrorReason;
  /** Server-side detail for the log; never sent to the client. */
  readonly detail: string | undefined;

  constructor(reason: ErrorReason, detail?: string, options?: { cause?: unknown }) {
    super(errorTable[reason].message, options);
    this.name = 'GatewayError';
    this.reason = reason;
    this.detail = detail;
  }

  get code(): number {
    return errorTable[this.reason].code;
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** The JSON-RPC error object of a reason. */
export function rpcError(reason: RpcReason): { code: number; message: string; data: RpcReason } {
  const { code, message } = errorTable[reason];
  return { code, message, data: reason };
}

/** The JSON-RPC reason of a protocol-level code jayson raised itself. */
export function reasonOfCode(code: number): RpcReason | undefined {
  return rpcReasons.find((reason) => errorTable[reason].code === code);
}
