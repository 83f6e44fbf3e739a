import { createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '../errors/gateway-error.js';
import type { OperatorInviteStore } from '../stores/operator-invite-store.js';

const TOKEN_BYTES = 32;
/** base64url of TOKEN_BYTES: anything else is not a token the gateway made. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
export const DEFAULT_INVITE_TTL_MINUTES = 30;
export const MAX_INVITE_TTL_MINUTES = 7 * 24 * 60;

/** The SHA-256 of a token: what is stored and compared, so a copy of the database lets no one register. */
export function inviteHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/**
 * A new invite: its token (shown once, in the link) and when it expires. Only the hash is stored,
 * with an `operator_invited` event in the operators' scope's audit log (reason `cli`).
 */
export async function issueInvite(store: OperatorInviteStore, options: { now: number; ttlMinutes: number; operatorScopeId: string }): Promise<{ token: string; expiresAt: string }> {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const createdAt = new Date(options.now).toISOString();
  const expiresAt = new Date(options.now + options.ttlMinutes * 60_000).toISOString();
  const audit = {
    scope_id: options.operatorScopeId,
    occurred_at: createdAt,
    event: 'operator_invited' as const,
    account_id: null,
    credential_id: null,
    reason: 'cli',
    client_ip: null,
    request_id: null,
  };
  await store.createInvite({ invite_hash: inviteHash(token), created_at: createdAt, expires_at: expiresAt }, audit);
  return { token, expiresAt };
}

/** The console page's address with the invite in its fragment, which browsers never send to a server. */
export function inviteLink(publicOrigin: string, token: string): string {
  return `${publicOrigin}/admin#invite=${token}`;
}

/**
 * The hash of an invite that may still be redeemed; invite_invalid otherwise, the same for a
 * missing, malformed, unknown, used or expired one (a guesser learns nothing from the difference).
 */
export async function checkInvite(store: Pick<OperatorInviteStore, 'isRedeemable'>, token: string | undefined, now: number): Promise<string> {
  if (token === undefined || !TOKEN.test(token)) throw new GatewayError('invite_invalid', 'no invite, or not a token');
  const hash = inviteHash(token);
  if (!(await store.isRedeemable(hash, new Date(now).toISOString()))) throw new GatewayError('invite_invalid', 'unknown, used or expired invite');
  return hash;
}

/** What the operator's account is created with: the invite, used up in the same transaction. */
export function redeemInvite(hash: string, now: number): { invite_hash: string; now: string } {
  return { invite_hash: hash, now: new Date(now).toISOString() };
}
