import type { HttpReason, RpcReason } from '../errors/gateway-error.js';
import type { ClientSideReason, GatewayClientError } from './gateway-client-error.js';

/**
 * What to tell a person for each reason. Typed over every server reason, so adding one to the
 * gateway's error table without a message here fails the type check.
 */
export const errorMessages: Record<RpcReason | HttpReason | ClientSideReason, string> = {
  envelope_invalid: 'The gateway could not read this request. Reload the page and try again.',
  scope_required: 'This page is not configured with a scope id.',
  scope_not_found: 'This page is configured for a scope the gateway does not know.',
  origin_not_allowed: 'This website is not allowed to use passkeys on this gateway.',
  invalid_params: 'Some of what you entered is not valid. Check it and try again.',
  account_exists: 'That username is taken. Choose another, or sign in.',
  challenge_not_found: 'That took too long or was already used. Please try again.',
  challenge_mismatch: 'That sign-in request belongs to another tab or user. Please try again.',
  verification_failed: 'The passkey could not be verified. Is it registered for this account?',
  credential_exists: 'This passkey is already registered.',
  account_disabled: 'This account is disabled.',
  counter_regression: 'This passkey may have been cloned, so it was refused. Use another passkey.',
  backup_eligibility_changed: 'This passkey changed in a way this site does not allow. Use another passkey.',
  backup_eligibility_refused: 'This site does not take this kind of passkey (synced, or kept on one device only). Use another passkey.',
  attestation_untrusted: 'This site takes only passkeys from authenticators it can verify. Use another security key or device.',
  authenticator_not_allowed: 'This site does not allow this model of authenticator. Use another one.',
  unknown_credential: 'No account holds this passkey any more. Choose another passkey, or register.',
  session_invalid: 'Your session has ended. Please sign in again.',
  credential_not_found: 'That passkey no longer exists on your account.',
  last_credential: 'You cannot delete your only passkey. Add another one first.',
  too_many_credentials: 'Your account already has the most passkeys allowed. Delete one first.',
  account_not_found: 'There is no such account.',
  reauthentication_required: 'To do this, confirm it is you: sign in with your passkey again.',
  admin_unauthorized: 'This action needs administrator rights.',
  unauthorized: "This action needs the app's server key or administrator rights.",
  scope_mismatch: 'This server key belongs to another app.',
  api_key_not_found: 'No such server key.',
  too_many_api_keys: 'This app holds the most server keys allowed.',
  invite_invalid: 'This invite link is not valid any more: it was used, it expired, or it is mistyped. Ask for a new one.',
  scope_reserved: 'The operators\' scope cannot be changed here: the gateway configures it itself.',
  delegate_key_unknown: 'This app is not allowed to act for accounts here.',
  key_signature_invalid: 'This app\'s request could not be verified.',
  key_signature_mismatch: 'This app\'s request could not be verified.',
  key_signature_replayed: 'This request was already made once. Try again.',
  key_signature_expired: 'This request is too old. Check the clock and try again.',
  chain_not_allowed: 'This site does not sign for that network.',
  address_mismatch: 'That address is not your account\'s.',
  delegate_key_exists: 'This key is already registered.',
  too_many_delegate_keys: 'This scope holds the most delegate keys allowed.',
  token_invalid: 'This link or token has expired or was already used. Ask for a new one.',
  recovery_failed: 'That username and recovery code do not match. Check both and try again.',
  second_factor_only: 'This passkey only confirms a sign-in. Sign in with the app first.',
  webhook_not_found: 'No such webhook in this scope.',
  webhook_url_refused: 'This webhook URL is not allowed: use https:// to a public address.',
  too_many_webhooks: 'This scope holds the most webhooks allowed.',
  rate_limited: 'Too many attempts. Wait a moment and try again.',
  service_unavailable: 'The service is temporarily unavailable. Try again in a moment.',
  internal_error: 'Something went wrong on the server. Try again later.',
  parse_error: 'The gateway could not read this request.',
  invalid_request: 'The gateway could not read this request.',
  batch_too_large: 'Too many requests at once.',
  method_not_found: 'This gateway does not support that action.',
  not_found: 'The passkey service was not found at this address.',
  method_not_allowed: 'The gateway could not read this request.',
  payload_too_large: 'This request is too large for the gateway.',
  unsupported_media_type: 'The gateway could not read this request.',
  request_header_fields_too_large: 'This request is too large for the gateway.',
  network_error: 'Could not reach the passkey service. Check your connection and try again.',
  unexpected_reply: 'The passkey service gave an unexpected answer. Try again later.',
  not_signed_in: 'Please sign in first.',
  ceremony_cancelled: 'The passkey request was cancelled or timed out.',
  passkey_already_on_device: 'This device already holds a passkey for this account.',
  webauthn_unsupported: 'This browser does not support passkeys.',
  webauthn_failed: 'Your browser or security key reported an error. Please try again.',
};

/** A human sentence for any error the client throws (or anything else that reaches the UI). */
export function describeError(error: unknown): string {
  const reason = (error as Partial<GatewayClientError> | null)?.reason;
  if (typeof reason === 'string' && Object.hasOwn(errorMessages, reason)) return errorMessages[reason as keyof typeof errorMessages];
  return 'Something went wrong. Please try again.';
}
