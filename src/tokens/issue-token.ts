import { z } from 'zod';
import type { AuditFacts, AuditRecorder, AuditSource } from '../audit/audit-recorder.js';
import type { AuditEventName } from '../domain/audit-event.js';
import type { OneTimeTokenKind } from '../domain/one-time-token.js';
import type { TokenStore } from '../stores/token-store.js';
import { newTokenSecret, tokenHash } from './token-secret.js';

/** A token's lifetime as callers ask for it: one minute to a day (a link in an e-mail), ten minutes unless said. */
export const tokenTtlSchema = z.number().int().min(60).max(24 * 3600).default(600).describe('seconds the token stays usable (60 – 86400, default 600)');

export interface TokenRequest {
  scopeId: string;
  kind: OneTimeTokenKind;
  accountId: string | null;
  userId: string | null;
  payload: unknown;
  ttlSeconds: number;
  /** The audit event written with the token (its account and user, never the token). */
  event: AuditEventName;
  /** More of the event: who acted (an API key or the admin). */
  facts?: Omit<AuditFacts, 'scope_id' | 'account_id'>;
}

/** Stores a new one-time token (its keyed hash) with its audit event; the secret is returned once and kept nowhere. */
export async function issueToken(
  deps: { tokens: TokenStore; identifierSecret: Buffer; audit: AuditRecorder; now: () => number },
  source: AuditSource,
  request: TokenRequest,
): Promise<{ token: string; expires_at: string }> {
  const token = newTokenSecret(request.kind);
  const now = deps.now();
  const expiresAt = new Date(now + request.ttlSeconds * 1000).toISOString();
  await deps.tokens.createToken(
    {
      token_hash: tokenHash(deps.identifierSecret, token),
      scope_id: request.scopeId,
      kind: request.kind,
      account_id: request.accountId,
      user_id: request.userId,
      payload: JSON.stringify(request.payload),
      created_at: new Date(now).toISOString(),
      expires_at: expiresAt,
    },
    deps.audit.event(source, request.event, { reason: request.kind, ...request.facts, scope_id: request.scopeId, account_id: request.accountId }),
  );
  return { token, expires_at: expiresAt };
}
