/**
 * The one error type the gateway raises for anything a client can cause or should know about.
 * Callers switch on `reason`, never on messages; the table below is the only place a reason
 * becomes a JSON-RPC code and a client-safe message.
 */
export const errorTable = {
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
  session_invalid: { code: -32020, message: 'Session is missing, invalid, expired or revoked' },
  credential_not_found: { code: -32021, message: 'No such passkey on this account' },
  last_credential: { code: -32022, message: 'The last passkey of an account cannot be deleted' },
  too_many_credentials: { code: -32023, message: 'This account holds the most passkeys allowed' },
  account_not_found: { code: -32024, message: 'No such account in this scope' },
  reauthentication_required: { code: -32025, message: 'This change needs a recent sign-in: sign in with a passkey again' },
  admin_unauthorized: { code: -32030, message: 'Admin bearer token missing or wrong' },
  service_unavailable: { code: -32050, message: 'A backing service is unavailable, try again' },
  rate_limited: { code: -32051, message: 'Too many attempts, try again later' },
  internal_error: { code: -32603, message: 'Internal error' },
} as const satisfies Record<string, { code: number; message: string }>;

export type ErrorReason = keyof typeof errorTable;

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
