import type { NewAuditEvent } from '../domain/audit-event.js';
import type { DelegateKey } from '../domain/delegate-key.js';
import { limits } from '../domain/limits.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { DelegateStore } from '../stores/delegate-store.js';
import { parseDelegatePublicKey } from './delegate-public-key.js';

/** The key id a delegate public key would get (invalid_params when it is no key the gateway takes). */
export function delegateKeyId(publicKey: string): string {
  return parsedOrRefused(publicKey).keyId;
}

/**
 * Registers a delegate key with a scope, as the admin API and the scope CLI do: invalid_params for
 * a key the gateway does not take, scope_not_found, delegate_key_exists, too_many_delegate_keys.
 * `audit` (given the key id) is written with it.
 */
export async function addDelegateKey(
  store: Pick<DelegateStore, 'addDelegateKey'>,
  input: { scopeId: string; publicKey: string; name: string | null; now: number },
  audit?: (keyId: string) => NewAuditEvent,
): Promise<DelegateKey> {
  const parsed = parsedOrRefused(input.publicKey);
  const key: DelegateKey = { scope_id: input.scopeId, key_id: parsed.keyId, public_key: parsed.publicKey, name: input.name, created_at: new Date(input.now).toISOString() };
  const added = await store.addDelegateKey(key, limits.delegateKeysPerScope, audit?.(parsed.keyId));
  if (!added.ok) throw new GatewayError(added.conflict);
  return added.key;
}

function parsedOrRefused(publicKey: string) {
  const parsed = parseDelegatePublicKey(publicKey.trim());
  if (parsed === null) throw new GatewayError('invalid_params', 'public_key must be an SPKI public key (base64 DER or PEM): EC P-256 or P-384, or RSA of 2048 to 4096 bits');
  return parsed;
}
