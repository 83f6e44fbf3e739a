import type { z } from 'zod';
import type { Logger } from 'pino';
import type { ClientKey } from '../envelope/client-key.js';
import type { Scope } from '../scopes/scope.js';

/** What every call knows about its HTTP request. */
export interface CallContext {
  requestId: string;
  log: Logger;
  headers: Readonly<Record<string, string | undefined>>;
  /** The browser's Origin header, absent for server-to-server callers. */
  origin: string | undefined;
}

/** A call that named a scope and sent a client key that unwrapped. */
export interface ScopedContext extends CallContext {
  scope: Scope;
  clientKey: ClientKey;
}

interface MethodDoc<P extends z.ZodType, R extends z.ZodType> {
  name: string;
  summary: string;
  description: string;
  params: P;
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

export type RpcMethod = PublicMethod | ScopedMethod;

export function publicMethod<P extends z.ZodType, R extends z.ZodType>(def: Omit<PublicMethod<P, R>, 'kind'>): PublicMethod<P, R> {
  return { kind: 'public', ...def };
}

export function scopedMethod<P extends z.ZodType, R extends z.ZodType>(def: Omit<ScopedMethod<P, R>, 'kind'>): ScopedMethod<P, R> {
  return { kind: 'scoped', ...def };
}
