import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GatewayError } from '../errors/gateway-error.js';

const MIN_TOKEN_CHARS = 32;
const MAX_HEADER_CHARS = 1024;

/** Checks the admin bearer token of a call; throws admin_unauthorized when it is missing or wrong. */
export type AdminAuthorizer = (authorizationHeader: string | undefined) => void;

/**
 * Reads the operator's token (surrounding whitespace ignored) and returns its checker. A short token
 * stops the start: it would be guessable. Both sides are hashed before the timing-safe comparison,
 * so neither the token's content nor its length shows in response times.
 */
export async function loadAdminAuthorizer(file: string): Promise<AdminAuthorizer> {
  const token = (await readFile(file, 'utf8')).trim();
  if (token.length < MIN_TOKEN_CHARS) throw new Error(`ADMIN_TOKEN_FILE ${file} must hold a token of at least ${MIN_TOKEN_CHARS} characters`);
  return adminAuthorizer(token);
}

export function adminAuthorizer(token: string): AdminAuthorizer {
  const expected = createHash('sha256').update(token, 'utf8').digest();
  return (header) => {
    const match = header !== undefined && header.length <= MAX_HEADER_CHARS ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
    const given = createHash('sha256').update(match?.[1] ?? '', 'utf8').digest();
    // Compared even when the header is malformed, so that case takes the same time.
    if (!timingSafeEqual(given, expected) || match === null) throw new GatewayError('admin_unauthorized');
  };
}
