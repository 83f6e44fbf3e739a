import type { z } from 'zod';
import type { Logger } from 'pino';
import type { ClientKey } from '../envelope/client-key.js';
import type { Scope } from '../domain/scope.js';
import type { SessionClaims } from '../sessions/session-claims.js';
import type { Account } from '../domain/account.js';

/** What every call knows about its HTTP request. */
export interface CallContext {
  requestId: string;
  log: Logger;
  headers: Readonly<Record<string, string | undefined>>;
  /** The browser's Origin header, absent for server-to-server callers. */
  origin: string | undefined;
  /** The caller's address (see TRUST_PROXY_HOPS), for rate limits and the audit log. */
  clientIp?: string;
}

/** A call that named a scope and sent a client key that unwrapped. */
export interface ScopedContext extends CallContext {
  scope: Scope;
  clientKey: ClientKey;
}

/** A scoped call that also carried a valid session for an enabled account. */
export interface SessionContext extends ScopedContext {
  session: SessionClaims;
  account: Account;
}

interface MethodDoc<P extends z.ZodType, R extends z.ZodType> {
  name: string;
  summary: string;
  description: string;
  params: P;
  /** For session methods: the plaintext inside `encrypted_result`. */
  result: R;
  /** Plaintext JSON inside the named envelope fields, for the contract document only. */
  envelopes?: Record<string, z.ZodType>;
}

export interface PublicMethod<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> extends MethodDoc<P, R> {
  kind: 'public';
  handler(params: z.output<P>, ctx: CallContext): Promise<z.input<R>>;
}

export interface ScopedMethod<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> extends MethodDoc<P, R> {
  kind: 'scoped';
  handler(params: z.output<P>, ctx: ScopedContext): Promise<z.input<R>>;
}

/** Needs X-Encrypted-Session; its result is sealed into `{encrypted_result}` by the dispatcher. */
export interface SessionMethod<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> extends MethodDoc<P, R> {
  kind: 'session';
  handler(params: z.output<P>, ctx: SessionContext): Promise<z.input<R>>;
}

/**
 * An operator method: needs `Authorization: Bearer <admin token>`, no scope or envelope. Exists
 * only when ADMIN_TOKEN_FILE is configured (otherwise the name is unknown: method_not_found).
 */
export interface AdminMethod<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> extends MethodDoc<P, R> {
  kind: 'admin';
  handler(params: z.output<P>, ctx: CallContext): Promise<z.input<R>>;
}

export type RpcMethod = PublicMethod | ScopedMethod | SessionMethod | AdminMethod;

export function publicMethod<P extends z.ZodType, R extends z.ZodType>(def: Omit<PublicMethod<P, R>, 'kind'>): PublicMethod<P, R> {
  return { kind: 'public', ...def };
}

export function scopedMethod<P extends z.ZodType, R extends z.ZodType>(def: Omit<ScopedMethod<P, R>, 'kind'>): ScopedMethod<P, R> {
  return { kind: 'scoped', ...def };
}

export function sessionMethod<P extends z.ZodType, R extends z.ZodType>(def: Omit<SessionMethod<P, R>, 'kind'>): SessionMethod<P, R> {
  return { kind: 'session', ...def };
}

export function adminMethod<P extends z.ZodType, R extends z.ZodType>(def: Omit<AdminMethod<P, R>, 'kind'>): AdminMethod<P, R> {
  return { kind: 'admin', ...def };
}
