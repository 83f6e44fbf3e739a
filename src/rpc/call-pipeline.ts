import { z } from 'zod';
import type { RateLimiter } from '../rate-limits/rate-limiter.js';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { openEnvelope, sealEnvelope } from '../envelope/aes-gcm-envelope.js';
import type { ClientKeys } from '../envelope/client-key.js';
import type { DelegateSignatures } from '../delegation/delegate-signatures.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { ScopeRegistry } from '../scopes/scope-registry.js';
import type { SessionService } from '../sessions/session-service.js';
import { limits } from '../domain/limits.js';
import type { CallContext, EnvelopeSchemas, RpcMethod, Sealed, SealedResultFields, ScopedContext, ServerContext, SignedIn, WalletContext } from './rpc-method.js';
import type { Caller, CallerAuthenticator } from './callers.js';
import { resolveClientKey, resolveScope } from './scope-context.js';
import type { RandomSource } from '../keys/random-pool.js';

export interface CallPipelineDeps {
  scopes: ScopeRegistry;
  clientKeys: ClientKeys;
  sessions: Pick<SessionService, 'check'>;
  rateLimiter: RateLimiter;
  /** Who calls admin and server methods (admin methods are only registered with an admin token or the console). */
  callers: CallerAuthenticator;
  /** Records refusals worth an operator's attention (an API key naming another scope). */
  audit: Pick<AuditRecorder, 'record'>;
  /** Checks X-Encrypted-Key-Signature on wallet calls; without it only sessions act. */
  delegates?: Pick<DelegateSignatures, 'actingAccount'>;
  /** IVs of the envelopes results are sealed in. */
  random: RandomSource;
}

export interface CallPipeline {
  /** Runs one call of `method` through every step; resolves to its wire result. */
  invoke(method: RpcMethod, rawParams: unknown, ctx: CallContext): Promise<unknown>;
}

/**
 * The one way a call goes, top to bottom: scope (a cache lookup) → the per-address limit, before
 * any RSA work → client key → session, for methods that need one → params validated, declared
 * envelopes wrapped to be opened on first use (so a handler consumes its challenge before it
 * trusts an envelope) → handler → declared result fields sealed, or the whole result for session
 * methods.
 */
export function createCallPipeline(deps: CallPipelineDeps): CallPipeline {
  const scopedContext = async (ctx: CallContext, allowRecovery = false): Promise<ScopedContext> => {
    const scope = await resolveScope(ctx, deps.scopes);
    // Every call of a batch counts on its own.
    await deps.rateLimiter.consumeClient(scope, ctx.clientIp ?? 'unknown');
    const clientKey = resolveClientKey(ctx, deps.clientKeys);
    let signedIn: Promise<SignedIn | null> | undefined;
    return {
      ...ctx,
      scope,
      clientKey,
      signedIn: () => (signedIn ??= checkSession(ctx.headers['x-encrypted-session'], { scopeId: scope.scope_id, clientKeyThumbprint: clientKey.thumbprint, allowRecovery }, clientKey.key, deps)),
      limitUsername: (usernameKey) => deps.rateLimiter.consumeUser(scope, usernameKey),
    };
  };

  return {
    async invoke(method, rawParams, ctx) {
      switch (method.kind) {
        case 'public':
          return method.handler(validated(method.params, rawParams), ctx);
        case 'admin': {
          const caller = await deps.callers.authenticate('admin', ctx, { readOnly: method.readOnly === true, scoped: scopedContext });
          return answerTo(caller, deps.random, await method.handler(validated(method.params, rawParams), { ...ctx, caller }));
        }
        case 'server': {
          const caller = await deps.callers.authenticate('server', ctx, { readOnly: method.readOnly === true, scoped: scopedContext });
          // Every call of a batch counts on its own, before its params are even read.
          if (caller.kind === 'api_key') await deps.rateLimiter.consumeApiKey(caller.key.key_id);
          const params = validated(method.params, rawParams);
          const server: ServerContext = { ...ctx, caller, scope: await serverScope(caller, params.scope_id, ctx, deps) };
          return answerTo(caller, deps.random, await method.handler(params, server));
        }
        case 'scoped': {
          const scoped = await scopedContext(ctx, method.acceptsRecoverySession === true);
          const params = withSealedParams(validated(method.params, rawParams), method.envelopes, scoped.clientKey.key);
          return sealFields(await method.handler(params, scoped), method.sealedResult, scoped.clientKey.key, deps.random);
        }
        case 'session': {
          const scoped = await scopedContext(ctx);
          const signedIn = await scoped.signedIn();
          if (signedIn === null) throw new GatewayError('session_invalid', 'no session header');
          const params = withSealedParams(validated(method.params, rawParams), method.envelopes, scoped.clientKey.key);
          const result = await method.handler(params, { ...scoped, ...signedIn });
          // Results of authenticated methods travel sealed like every other payload.
          return { encrypted_result: sealEnvelope(scoped.clientKey.key, JSON.stringify(result), deps.random) };
        }
        case 'wallet': {
          const scoped = await scopedContext(ctx);
          // A scope that has not turned its wallet on does not have these methods at all.
          if (scoped.scope.wallet !== 'on') throw new GatewayError('method_not_found', 'wallet off in this scope');
          const acting = await walletActor(scoped, ctx.headers, deps);
          const params = validated(method.params, rawParams);
          // Plain, as each wallet method declares (plainResult): an address or a signature is public.
          return method.handler(params, { ...scoped, ...acting });
        }
      }
    },
  };
}

/**
 * The scope a server call acts in: an API key's own (a `scope_id` naming another is
 * scope_mismatch, audited in the key's scope), or the admin's `scope_id`, which must exist.
 */
async function serverScope(caller: Caller, scopeId: string | undefined, ctx: CallContext, deps: Pick<CallPipelineDeps, 'scopes' | 'audit'>) {
  const named = scopeId?.toLowerCase();
  if (caller.kind === 'api_key') {
    const own = caller.key.scope_id;
    if (named !== undefined && named !== own) {
      await deps.audit.record(ctx, 'api_key_scope_mismatch', { scope_id: own, api_key_id: caller.key.key_id, reason: named });
      throw new GatewayError('scope_mismatch', `key ${caller.key.key_id} of scope ${own} named scope ${named}`);
    }
    const scope = await deps.scopes.get(own);
    if (scope === null) throw new GatewayError('scope_not_found');
    return scope;
  }
  if (named === undefined) throw new GatewayError('invalid_params', 'scope_id is required with the admin token or an operator session');
  const scope = await deps.scopes.get(named);
  if (scope === null) throw new GatewayError('scope_not_found');
  return scope;
}

/** An admin or server method's answer: as it is to a bearer credential, sealed with the client key to an operator's browser. */
function answerTo(caller: Caller, random: RandomSource, result: unknown): unknown {
  return caller.kind === 'operator' ? { encrypted_result: sealEnvelope(caller.clientKey, JSON.stringify(result), random) } : result;
}

/**
 * The session a call carries in X-Encrypted-Session: sealed with the call's client key, and
 * passing the one session check for this scope and that client key (SessionService.check).
 */
async function checkSession(
  header: string | undefined,
  expected: { scopeId: string; clientKeyThumbprint: string; allowRecovery: boolean },
  key: Buffer,
  deps: Pick<CallPipelineDeps, 'sessions'>,
): Promise<SignedIn | null> {
  if (header === undefined || header === '') return null;
  if (header.length > limits.headerEnvelopeChars) throw new GatewayError('session_invalid', 'session header too long');
  let jwt: string;
  try {
    jwt = openEnvelope(key, header);
  } catch {
    throw new GatewayError('session_invalid', 'session envelope did not open with this client key');
  }
  const { claims, account } = await deps.sessions.check(jwt, expected);
  return { session: claims, account };
}

/**
 * Who a wallet call acts through: its session (the one session check), or else its key signature
 * for the account the signing delegate key created. Both at once is refused: one call, one actor.
 */
async function walletActor(
  scoped: ScopedContext,
  headers: CallContext['headers'],
  deps: Pick<CallPipelineDeps, 'delegates'>,
): Promise<Pick<WalletContext, 'account' | 'actor'>> {
  const keySigned = (headers['x-encrypted-key-signature'] ?? '') !== '';
  const signedIn = await scoped.signedIn();
  if (signedIn !== null && keySigned) throw new GatewayError('session_invalid', 'both a session and a key signature');
  if (signedIn !== null) return { account: signedIn.account, actor: { via: 'session', session: signedIn.session } };
  if (!keySigned || deps.delegates === undefined) throw new GatewayError('session_invalid', 'no session header');
  const { account, keyId } = await deps.delegates.actingAccount({ scope: scoped.scope, clientKey: scoped.clientKey.key, headers });
  return { account, actor: { via: 'delegate_key', keyId } };
}

function validated<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) throw new GatewayError('invalid_params', z.prettifyError(parsed.error));
  return parsed.data;
}

/** The params with each declared envelope replaced by a Sealed value bound to the client key. */
function withSealedParams<P>(params: P, envelopes: EnvelopeSchemas | undefined, key: Buffer): never {
  if (envelopes === undefined || params === null || typeof params !== 'object') return params as never;
  const wrapped: Record<string, unknown> = { ...(params as Record<string, unknown>) };
  for (const [field, schema] of Object.entries(envelopes)) {
    const envelope = wrapped[field];
    if (typeof envelope === 'string') wrapped[field] = sealedParam(key, envelope, schema, field);
  }
  return wrapped as never;
}

/** Opens an envelope and validates its JSON plaintext once, on first use; bad JSON or shape is `invalid_params`. */
function sealedParam<T extends z.ZodType>(key: Buffer, envelope: string, schema: T, field: string): Sealed<z.output<T>> {
  let outcome: { value: z.output<T> } | { error: unknown } | undefined;
  const open = (): { value: z.output<T> } => {
    const text = openEnvelope(key, envelope);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new GatewayError('invalid_params', `${field}: plaintext is not JSON`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new GatewayError('invalid_params', `${field}: ${z.prettifyError(parsed.error)}`);
    return { value: parsed.data };
  };
  return {
    envelope,
    open() {
      if (outcome === undefined) {
        try {
          outcome = open();
        } catch (error) {
          outcome = { error };
        }
      }
      if ('error' in outcome) throw outcome.error;
      return outcome.value;
    },
  };
}

/** The handler's result with each declared field sealed: JSON text, or a string as it is (the session JWT). */
function sealFields(result: unknown, fields: SealedResultFields | undefined, key: Buffer, random: RandomSource): unknown {
  if (fields === undefined || result === null || typeof result !== 'object') return result;
  const sealed: Record<string, unknown> = { ...result };
  for (const [field, form] of Object.entries(fields)) {
    const value = sealed[field];
    // An optional sealed field the handler left out stays out.
    if (value === undefined) continue;
    // Text fields are strings (the handlers' types say so); anything else goes as JSON.
    sealed[field] = sealEnvelope(key, form === 'text' && typeof value === 'string' ? value : JSON.stringify(value), random);
  }
  return sealed;
}
