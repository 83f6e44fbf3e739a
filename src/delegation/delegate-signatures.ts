import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Account } from '../domain/account.js';
import { limits } from '../domain/limits.js';
import type { Scope } from '../domain/scope.js';
import { openEnvelope } from '../envelope/aes-gcm-envelope.js';
import { GatewayError } from '../errors/gateway-error.js';
import { delegatedUserSchema } from '../identity/user-input.js';
import type { DelegateStore } from '../stores/delegate-store.js';
import { parseDelegatePublicKey, type DelegatePublicKey } from './delegate-public-key.js';
import { keySignatureSchema, verifiesOver, type KeySignature } from './key-signature.js';

/** What a call made with a key signature carries: its scope, its client key and its headers. */
export interface DelegatedCall {
  scope: Scope;
  clientKey: Buffer;
  headers: Readonly<Record<string, string | undefined>>;
}

/**
 * Key signatures by a scope's delegate keys (@0xpass/key-signer): over the sealed user of
 * delegatedRegistration, and over X-Encrypted-User on calls that carry X-Encrypted-Key-Signature
 * instead of a session. Each signature counts once, within limits.keySignatureWindowSeconds of
 * the issued_at inside the user it signs.
 */
export interface DelegateSignatures {
  /**
   * The scope's delegate key that made `sealedSignature` (a KeySignature sealed with the client
   * key) over `signedText`, the call's sealed user: delegate_key_unknown, key_signature_invalid, or
   * key_signature_mismatch for a valid signature over something else.
   */
  verify(scope: Scope, clientKey: Buffer, sealedSignature: string, signedText: string): Promise<DelegatePublicKey>;
  /** Uses a verified signature up: its user's `issuedAt` must be recent (key_signature_expired) and it unused, in any scope (key_signature_replayed). */
  use(scope: Scope, signedText: string, issuedAt: number): Promise<void>;
  /**
   * For the pipeline: the account a call with X-Encrypted-Key-Signature acts for, the one named by
   * the signed X-Encrypted-User that the signing key created (account_not_found for any other).
   */
  actingAccount(call: DelegatedCall): Promise<{ account: Account; keyId: string }>;
}

export function createDelegateSignatures(deps: { delegates: DelegateStore; now: () => number }): DelegateSignatures {
  const service: DelegateSignatures = {
    async verify(scope, clientKey, sealedSignature, signedText) {
      const signature = openKeySignature(clientKey, sealedSignature);
      const claimed = parseDelegatePublicKey(signature.id);
      const stored = claimed === null ? null : await deps.delegates.getDelegateKey(scope.scope_id, claimed.keyId);
      const key = stored === null ? null : parseDelegatePublicKey(stored.public_key);
      if (key === null) throw new GatewayError('delegate_key_unknown');
      if (verifiesOver(key, signedText, signature.signature)) return key;
      // Told apart, so an app sees its own mistake: a good signature over other text (another call's user).
      if (signature.clientData !== signedText && verifiesOver(key, signature.clientData, signature.signature)) {
        throw new GatewayError('key_signature_mismatch', 'signature over other text than the sealed user');
      }
      throw new GatewayError('key_signature_invalid', 'signature does not verify');
    },

    async use(scope, signedText, issuedAt) {
      const now = deps.now();
      if (issuedAt < now - limits.keySignatureWindowSeconds * 1000 || issuedAt > now + limits.keySignatureClockSkewSeconds * 1000) {
        throw new GatewayError('key_signature_expired', `issued_at ${Math.round((now - issuedAt) / 1000)} s ago`);
      }
      // Keyed by the signed text alone: the same delegate key may be registered in several scopes.
      const digest = createHash('sha256').update(signedText, 'utf8').digest('base64url');
      const use = { digest, scope_id: scope.scope_id, expires_at: new Date(issuedAt + limits.keySignatureWindowSeconds * 1000).toISOString() };
      if (!(await deps.delegates.useKeySignature(use, new Date(now).toISOString()))) throw new GatewayError('key_signature_replayed');
    },

    async actingAccount({ scope, clientKey, headers }) {
      const sealedSignature = headers['x-encrypted-key-signature'] ?? '';
      const signedText = headers['x-encrypted-user'];
      if (signedText === undefined || signedText === '') throw new GatewayError('key_signature_mismatch', 'no X-Encrypted-User to sign');
      const key = await service.verify(scope, clientKey, sealedSignature, signedText);
      const user = openJson(clientKey, signedText, delegatedUserSchema, 'X-Encrypted-User');
      await service.use(scope, signedText, user.issuedAt);
      const account = await deps.delegates.findDelegatedAccount(scope.scope_id, user.usernameKey, key.keyId);
      // One answer for "no such account" and "not this key's": a delegate learns nothing of other accounts.
      if (account === null) throw new GatewayError('account_not_found', 'no account of this username created by this key');
      if (account.disabled) throw new GatewayError('account_disabled');
      return { account, keyId: key.keyId };
    },
  };
  return service;
}

function openKeySignature(clientKey: Buffer, sealed: string): KeySignature {
  if (sealed.length === 0 || sealed.length > limits.envelopeChars) throw new GatewayError('key_signature_invalid', 'no key signature, or too long');
  try {
    return openJson(clientKey, sealed, keySignatureSchema, 'key signature');
  } catch (error) {
    throw new GatewayError('key_signature_invalid', error instanceof GatewayError ? error.detail : 'unreadable', { cause: error });
  }
}

/** The JSON an envelope holds, validated: envelope_invalid when it does not open, invalid_params when its content is wrong. */
function openJson<T extends z.ZodType>(clientKey: Buffer, envelope: string, schema: T, what: string): z.output<T> {
  let value: unknown;
  try {
    value = JSON.parse(openEnvelope(clientKey, envelope));
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw new GatewayError('invalid_params', `${what}: plaintext is not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new GatewayError('invalid_params', `${what}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
