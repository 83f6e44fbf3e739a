import { sign, type KeyObject } from 'node:crypto';

/**
 * Signs a compact JWS with ES256 (RFC 7515/7518) synchronously through node:crypto: the signature
 * is the raw r||s pair (`ieee-p1363`) JWS requires. Signing a session we build ourselves needs
 * nothing more; jose's sign goes through WebCrypto's job queue, several times the cost per token.
 * Verification stays with jose, where parsing untrusted tokens belongs.
 */
export function signEs256Jws(header: Record<string, unknown>, payload: Record<string, unknown>, privateKey: KeyObject): string {
  const signingInput = `${base64url(JSON.stringify({ ...header, alg: 'ES256' }))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(signingInput, 'ascii'), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
