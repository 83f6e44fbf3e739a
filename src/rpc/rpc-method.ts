import type { z } from 'zod';
import type { Logger } from 'pino';
import type { ClientKey } from '../envelope/client-key.js';
import type { Scope } from '../domain/scope.js';
import type { SessionClaims } from '../sessions/session-claims.js';
import type { Account } from '../domain/account.js';
import type { Caller } from './callers.js';

/** What every call knows about its HTTP request. */
export interface CallContext {
  requestId: string;
  /**
   * The gateway's logger, shared by every call (a child per request costs more than the few
   * entries a call writes): entries about a call carry its `requestId` themselves.
   */
  log: Logger;
  headers: Readonly<Record<string, string | undefined>>;
  /** The browser's Origin header, absent for server-to-server callers. */
  origin: string | undefined;
  /** The caller's address (see TRUST_PROXY_HOPS), for rate limits and the audit log. */
  clientIp?: string;
}

/** A session that passed the session check, with its account as it is now. */
export interface SignedIn {
  session: SessionClaims;
  account: Account;
}

/** A call that named a scope, stayed within its per-address limit and sent a client key that unwrapped. */
export interface ScopedContext extends CallContext {
  scope: Scope;
  clientKey: ClientKey;
  /**
   * The call's X-Encrypted-Session, checked on first use (and only then): null without the header,
   * `session_invalid` (or `account_disabled`) when it does not hold.
   */
  signedIn(): Promise<SignedIn | null>;
  /** Counts one ceremony call for this username key toward the scope's per-username limit (`rate_limited` over it). */
  limitUsername(usernameKey: string): Promise<void>;
}

/** A scoped call whose session the pipeline checked before the handler ran. */
export interface SessionContext extends ScopedContext, SignedIn {}

/** An `encrypted_*` param: opened with the call's client key, and its plaintext validated, on first use. */
export interface Sealed<T> {
  open(): T;
  /** The envelope as sent, for checking a signature made over it (delegatedRegistration). */
  readonly envelope: string;
}

/** The plaintext schema of each sealed param. */
export type EnvelopeSchemas = Record<string, z.ZodType>;

/** How each sealed result field is written: JSON text, or (the session JWT) the string itself. */
export type SealedResultFields = Record<string, 'json' | 'text'>;

/** Params with each declared envelope as a Sealed value (absent when the param was optional and absent). */
type OpenedParams<T, E extends EnvelopeSchemas> = {
  [K in keyof T]: K extends keyof E ? (undefined extends T[K] ? Sealed<z.output<E[K]>> | undefined : Sealed<z.output<E[K]>>) : T[K];
};

/** The params a handler gets (distributed over a params schema that may be absent as a whole). */
export type HandlerParams<P extends z.ZodType, E extends EnvelopeSchemas> = z.output<P> extends infer T ? (T extends object ? OpenedParams<T, E> : T) : never;

/** What a handler returns: the result, with the fields to be sealed still in plaintext. */
export type HandlerResult<R extends z.ZodType, S extends SealedResultFields> = {
  [K in keyof z.input<R>]: K extends keyof S ? (S[K] extends 'text' ? string : unknown) : z.input<R>[K];
};

interface MethodDoc<P extends z.ZodType, R extends z.ZodType, E extends EnvelopeSchemas> {
  name: string;
  summary: string;
  description: string;
  params: P;
  /** The result on the wire; for session methods, the plaintext inside `encrypted_result`. */
  result: R;
  /** Params that are envelopes, with the schema of their plaintext: the pipeline opens them lazily. */
  envelopes?: E;
}

export interface PublicMethod<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> extends MethodDoc<P, R, EnvelopeSchemas> {
  kind: 'public';
  handler(params: z.output<P>, ctx: CallContext): Promise<z.input<R>> | z.input<R>;
}

export interface ScopedMethod<
  P extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
  E extends EnvelopeSchemas = EnvelopeSchemas,
  S extends SealedResultFields = SealedResultFields,
> extends MethodDoc<P, R, E> {
  kind: 'scoped';
  /**
   * Whether the call's session may be a recovery session (recoverAccount), which can only add a
   * passkey: true on the two registration methods alone; everywhere else the session check refuses it.
   */
  acceptsRecoverySession?: true;
  /** Result fields the pipeline seals with the call's client key (the handler returns their plaintext). */
  sealedResult?: S;
  handler(params: HandlerParams<P, E>, ctx: ScopedContext): Promise<HandlerResult<R, S>> | HandlerResult<R, S>;
}

/** Needs X-Encrypted-Session, checked before the handler runs; its whole result is sealed into `{encrypted_result}`. */
export interface SessionMethod<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType, E extends EnvelopeSchemas = EnvelopeSchemas>
  extends MethodDoc<P, R, E> {
  kind: 'session';
  handler(params: HandlerParams<P, E>, ctx: SessionContext): Promise<z.input<R>> | z.input<R>;
}

/** Who a wallet call acts through: its session, or (for an account a delegate key created) that key's signature. */
export type WalletActor = { via: 'session'; session: SessionClaims } | { via: 'delegate_key'; keyId: string };

/** A wallet call whose actor the pipeline checked: the account whose key it uses. */
export interface WalletContext extends ScopedContext {
  account: Account;
  actor: WalletActor;
}

/**
 * Uses the account's own key (eth_requestAccounts and the signing methods): exists only in scopes
 * with `wallet: on` (elsewhere method_not_found). Acts through X-Encrypted-Session, checked as for
 * session methods, or through X-Encrypted-Key-Signature for an account a delegate key created.
 */
export interface WalletMethod<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> extends MethodDoc<P, R, EnvelopeSchemas> {
  kind: 'wallet';
  /**
   * The result goes out as it is, not sealed: an address or a signature is public, and the SDK and
   * Ethereum JSON-RPC clients hand `result` straight to the app. Declared by each wallet method;
   * every other authenticated method's result is sealed.
   */
  plainResult: true;
  handler(params: z.output<P>, ctx: WalletContext): Promise<z.input<R>> | z.input<R>;
}

/**
 * An operator method: needs `Authorization: Bearer <admin token>` (no scope or envelope), or a
 * session of the operators' scope (the console; the result then comes back sealed). Exists only when
 * ADMIN_TOKEN_FILE is configured or ADMIN_CONSOLE is on (otherwise method_not_found).
 */
/** An admin call: who made it (the admin token or an operator), for the audit events it writes. */
export interface AdminContext extends CallContext {
  caller: Caller;
}

export interface AdminMethod<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> extends MethodDoc<P, R, EnvelopeSchemas> {
  kind: 'admin';
  /**
   * Reads only. Every other admin method changes something, and through an operator's session it
   * then needs a recent passkey sign-in (the operators' scope's reauth_window_s).
   */
  readOnly?: true;
  handler(params: z.output<P>, ctx: AdminContext): Promise<z.input<R>> | z.input<R>;
}

/** A server call: who made it, and the scope it acts in (its API key's, or the admin's `scope_id`). */
export interface ServerContext extends CallContext {
  caller: Caller;
  scope: Scope;
}

/** Params every server method takes: `scope_id`, optional with an API key (it must then be the key's scope), required with the admin token. */
export interface ServerParams {
  scope_id?: string | undefined;
}

/**
 * An app backend's method: `Authorization: Bearer <API key>` (which names the scope) or the admin
 * token (with `scope_id`); no scope header, envelope or session, like admin methods. Rate limited
 * per API key. Exists whether or not an admin token is configured. An operator's console session
 * (with `scope_id`) may call it too, its result then sealed.
 */
export interface ServerMethod<P extends z.ZodType<ServerParams> = z.ZodType<ServerParams>, R extends z.ZodType = z.ZodType> extends MethodDoc<P, R, EnvelopeSchemas> {
  kind: 'server';
  /** Reads only: an operator's session needs no recent sign-in for it (see AdminMethod.readOnly). */
  readOnly?: true;
  handler(params: z.output<P>, ctx: ServerContext): Promise<z.input<R>> | z.input<R>;
}

/** Any method, as the dispatcher and the contract document hold them (handlers are checked where each is defined). */
export type RpcMethod = PublicMethod | ScopedMethod | SessionMethod | WalletMethod | AdminMethod | ServerMethod;

export function publicMethod<P extends z.ZodType, R extends z.ZodType>(def: Omit<PublicMethod<P, R>, 'kind'>): PublicMethod<P, R> {
  return { kind: 'public', ...def };
}

export function scopedMethod<P extends z.ZodType, R extends z.ZodType, E extends EnvelopeSchemas = Record<never, z.ZodType>, S extends SealedResultFields = Record<never, 'json'>>(
  def: Omit<ScopedMethod<P, R, E, S>, 'kind'>,
): ScopedMethod<P, R, E, S> {
  return { kind: 'scoped', ...def };
}

export function sessionMethod<P extends z.ZodType, R extends z.ZodType, E extends EnvelopeSchemas = Record<never, z.ZodType>>(
  def: Omit<SessionMethod<P, R, E>, 'kind'>,
): SessionMethod<P, R, E> {
  return { kind: 'session', ...def };
}

export function walletMethod<P extends z.ZodType, R extends z.ZodType>(def: Omit<WalletMethod<P, R>, 'kind'>): WalletMethod<P, R> {
  return { kind: 'wallet', ...def };
}

export function adminMethod<P extends z.ZodType, R extends z.ZodType>(def: Omit<AdminMethod<P, R>, 'kind'>): AdminMethod<P, R> {
  return { kind: 'admin', ...def };
}

export function serverMethod<P extends z.ZodType<ServerParams>, R extends z.ZodType>(def: Omit<ServerMethod<P, R>, 'kind'>): ServerMethod<P, R> {
  return { kind: 'server', ...def };
}
