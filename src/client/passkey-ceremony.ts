import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  startRegistration,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/browser';
import { GatewayClientError } from './gateway-client-error.js';

/**
 * The browser's WebAuthn calls, through @simplewebauthn/browser (which converts between the JSON
 * options/responses and the ArrayBuffers the browser wants), with its errors mapped to reasons.
 */
export async function createPasskey(optionsJSON: PublicKeyCredentialCreationOptionsJSON, automatic = false): Promise<RegistrationResponseJSON> {
  requireWebAuthn();
  try {
    // Automatic: conditional create, which the browser answers without a prompt or not at all.
    return await startRegistration({ optionsJSON, useAutoRegister: automatic });
  } catch (error) {
    throw ceremonyError(error);
  }
}

export async function usePasskey(optionsJSON: PublicKeyCredentialRequestOptionsJSON, autofill = false): Promise<AuthenticationResponseJSON> {
  requireWebAuthn();
  try {
    return await startAuthentication({ optionsJSON, useBrowserAutofill: autofill });
  } catch (error) {
    throw ceremonyError(error);
  }
}

/** Whether the browser can offer passkeys in an input's autofill (conditional mediation). */
export async function supportsAutofill(): Promise<boolean> {
  return inBrowser() && browserSupportsWebAuthn() && (await browserSupportsWebAuthnAutofill());
}

/** Whether the browser says it can create a passkey without a prompt (conditional create). */
export async function supportsAutomaticPasskeys(): Promise<boolean> {
  if (!inBrowser() || !browserSupportsWebAuthn()) return false;
  const api = (globalThis as { PublicKeyCredential?: { getClientCapabilities?: () => Promise<Record<string, boolean | undefined>> } }).PublicKeyCredential;
  try {
    return (await api?.getClientCapabilities?.())?.conditionalCreate === true;
  } catch {
    return false;
  }
}

/** Throws webauthn_unsupported where there is no WebAuthn (Node, old browsers). */
export function requireWebAuthn(): void {
  if (!inBrowser() || !browserSupportsWebAuthn()) {
    throw new GatewayClientError('webauthn_unsupported', 'WebAuthn is not available here');
  }
}

function ceremonyError(error: unknown): GatewayClientError {
  const { name, code, message } = (error ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : 'WebAuthn ceremony failed';
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') return new GatewayClientError('passkey_already_on_device', text, { cause: error });
  // NotAllowedError covers both "the person cancelled" and "timed out": browsers do not tell them apart.
  if (code === 'ERROR_CEREMONY_ABORTED' || name === 'NotAllowedError' || name === 'AbortError') {
    return new GatewayClientError('ceremony_cancelled', text, { cause: error });
  }
  return new GatewayClientError('webauthn_failed', text, { cause: error });
}

/** @simplewebauthn/browser reads `window`; elsewhere (Node, workers) there is no WebAuthn. */
function inBrowser(): boolean {
  return typeof (globalThis as { window?: unknown }).window !== 'undefined';
}
