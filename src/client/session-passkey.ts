import { base64UrlToBytes } from './base64.js';
import { openEnvelope, type AesKey } from './envelope-crypto.js';

/**
 * The passkey that started a session: the `credential_id` claim of the JWT inside the sealed
 * session, read without verifying the signature (the gateway does that). The client uses it only
 * to know that deleting this passkey has ended its session. Undefined when it cannot be read.
 */
export async function sessionPasskeyId(key: AesKey, sealedSession: string): Promise<string | undefined> {
  const credentialId = await sessionClaim(key, sealedSession, 'credential_id');
  return typeof credentialId === 'string' ? credentialId : undefined;
}

/** One claim of the JWT inside a sealed session, read without verifying it; undefined when absent or unreadable. */
export async function sessionClaim(key: AesKey, sealedSession: string, name: string): Promise<unknown> {
  const jwt = await openEnvelope(key, sealedSession);
  const payload = jwt?.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64UrlToBytes(payload)));
    return (claims as Record<string, unknown> | null)?.[name];
  } catch {
    return undefined;
  }
}
