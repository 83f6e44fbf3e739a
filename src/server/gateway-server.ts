import { z } from 'zod';
import { GatewayServerError } from './gateway-server-error.js';
import { isRecord, ServerTransport, type ServerFetch } from './server-transport.js';
import { createSessionVerifier, type VerifiedSession } from './session-verifier.js';
import type { AccountPage, AccountRef, RegistrationToken, ServerAccount, ServerPasskey, SignIn, SignInToken } from './types.js';

export interface GatewayServerOptions {
  /** The gateway's JSON-RPC URL, e.g. `https://passkeys.example.com/`: https, or http to a loopback address only (see `allowHttp`). */
  url: string;
  /** Send the key over plain http to a host that is not loopback (a private network the app trusts); default false. */
  allowHttp?: boolean;
  /** The app's scope id: sent with every call (the gateway refuses one that is not the API key's) and the `aud` sessions must carry. */
  scopeId: string;
  /** The scope's server API key (`scope api-key create`); keep it on the server, never in a page. */
  apiKey?: string;
  /** The gateway's admin token, for operator calls (createRecoveryToken); most apps never hold it. */
  adminToken?: string;
  /** The sessions' `iss` (the gateway's SESSION_ISSUER); default `passkey-gateway`. */
  issuer?: string;
  /** Defaults to the global fetch. */
  fetch?: ServerFetch;
  /** How long one call may take; default 10 s. */
  timeoutMs?: number;
  /** How long a fetched JWKS is used before it is fetched again; default 10 minutes. */
  jwksMaxAgeMs?: number;
  /** A session signed by a key the cached JWKS lacks fetches it again at most this often; default 30 s. */
  jwksCooldownMs?: number;
  /** Leeway for `exp` and `iat`, seconds; default 5. */
  clockToleranceS?: number;
  /** The clock (ms), for tests. */
  now?: () => number;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

const registrationTokenSchema = z.object({ registration_token: z.string().min(1), expires_at: z.string() });
const signInTokenSchema = z.object({ sign_in_token: z.string().min(1), expires_at: z.string() });
const signInSchema = z.object({
  user_id: z.string().nullish(),
  account_id: z.string(),
  credential_id: z.string(),
  user_verified: z.boolean(),
  signed_in_at: z.string(),
  second_factor: z.boolean().optional(),
});
const accountSchema = z.object({
  account_id: z.string(),
  scope_id: z.string(),
  user_id: z.string().nullish(),
  username: z.string(),
  display_name: z.string(),
  identifier_hash: z.string(),
  user_handle: z.string(),
  address: z.string(),
  disabled: z.boolean(),
  created_at: z.string(),
  credential_count: z.number().int(),
});
const accountSummarySchema = z.object({ account_id: z.string(), username: z.string(), display_name: z.string(), identifier_hash: z.string(), disabled: z.boolean(), created_at: z.string() });
// The gateway's credential view (listCredentials), which the client library's Passkey type describes too.
const passkeySchema: z.ZodType<ServerPasskey> = z.object({
  credential_id: z.string(),
  name: z.string().nullable(),
  provider: z.string().nullable(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  transports: z.array(z.string()),
  device_type: z.enum(['singleDevice', 'multiDevice']),
  backed_up: z.boolean(),
  aaguid: z.string(),
  possibly_cloned: z.boolean(),
  discoverable: z.boolean().nullable(),
  authenticator_attachment: z.enum(['platform', 'cross-platform']).nullable(),
  attestation_verified: z.boolean(),
});

/**
 * The gateway as an app backend uses it (`passkey-gateway/server`): one-time tokens for its users'
 * passkey ceremonies, the check of a finished sign-in, account lifecycle calls, all over fetch with
 * the scope's API key; and sessions verified offline against a cached JWKS. Every failure is a
 * GatewayServerError with the gateway's `reason`; misuse by the calling code is a TypeError.
 */
export class GatewayServer {
  private readonly transport: ServerTransport;
  /** Checks a session JWT offline: signature, issuer, audience (the scope), expiry. */
  readonly verifySession: (jwt: string, options?: { allowSecondFactor?: boolean }) => Promise<VerifiedSession>;

  constructor(private readonly options: GatewayServerOptions) {
    if (!z.uuid().safeParse(options.scopeId).success) throw new TypeError('GatewayServer: scopeId must be the scope id (a UUID)');
    if (options.apiKey === undefined && options.adminToken === undefined) throw new TypeError('GatewayServer: give apiKey (or, for operators, adminToken)');
    // The key travels in every call: never in clear text across a network unless the app says so.
    const url = URL.canParse(options.url) ? new URL(options.url) : null;
    if (url === null || !(url.protocol === 'https:' || (url.protocol === 'http:' && (options.allowHttp === true || LOOPBACK.has(url.hostname))))) {
      throw new TypeError('GatewayServer: url must be https (or http to localhost; allowHttp for a trusted private network)');
    }
    const fetchImpl: ServerFetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.transport = new ServerTransport(options.url, fetchImpl, options.timeoutMs ?? 10_000);
    this.verifySession = createSessionVerifier({
      issuer: options.issuer ?? 'passkey-gateway',
      scopeId: options.scopeId,
      fetchJwks: () => this.transport.call('getJwks', {}, undefined),
      jwksMaxAgeMs: options.jwksMaxAgeMs ?? 600_000,
      jwksCooldownMs: options.jwksCooldownMs ?? 30_000,
      clockToleranceS: options.clockToleranceS ?? 5,
      now: options.now ?? Date.now,
    });
  }

  /**
   * A one-time token that lets the browser register a passkey to the account of `user_id` (the app's
   * own id), creating it on first use. Hand it to the page that registers; it expires (default 10 min).
   */
  async createRegistrationToken(input: { user_id: string; username?: string; display_name?: string; purpose?: 'passkey' | 'second_factor'; ttl_s?: number }): Promise<RegistrationToken> {
    return this.serverCall('createRegistrationToken', { purpose: 'passkey', ...input }, registrationTokenSchema);
  }

  /** A one-time token for a second-factor sign-in: the browser is offered only `user_id`'s passkeys. */
  async createSignInToken(input: { user_id: string; ttl_s?: number }): Promise<SignInToken> {
    return this.serverCall('createSignInToken', input, signInTokenSchema);
  }

  /**
   * Exchanges the `sign_in_token` the browser got from a finished sign-in for who signed in. Once per
   * token: a second exchange, an expired token or one of another scope is `token_invalid`.
   */
  async verifySignIn(token: string): Promise<SignIn> {
    const signIn = await this.serverCall('verifySignIn', { token }, signInSchema);
    return { ...signIn, user_id: signIn.user_id ?? null, second_factor: signIn.second_factor === true };
  }

  /**
   * Operator recovery (needs `adminToken`): a one-time token that adds a passkey to the account, for a
   * link the operator sends its owner (the browser passes it as a registration token).
   */
  async createRecoveryToken(input: { account_id: string; ttl_s?: number }): Promise<RegistrationToken> {
    const token = this.options.adminToken;
    if (token === undefined) throw new TypeError('GatewayServer: createRecoveryToken needs adminToken');
    const result = await this.transport.call('createRecoveryToken', { scope_id: this.options.scopeId, ...input }, token);
    const parsed = registrationTokenSchema.safeParse(result);
    if (!parsed.success) throw new GatewayServerError('unexpected_reply', 'createRecoveryToken: unexpected result', { method: 'createRecoveryToken', cause: parsed.error });
    return parsed.data;
  }

  /** A page of the scope's accounts in username order; pass `next_cursor` as `cursor` for the next. */
  async listAccounts(input: { cursor?: string; limit?: number; username_prefix?: string } = {}): Promise<AccountPage> {
    return this.serverCall('listAccounts', input, z.object({ accounts: z.array(accountSummarySchema), next_cursor: z.string().nullable() }));
  }

  /** One account of the scope, by account id, username or the app's user id; `account_not_found` for none (or one of another scope). */
  async findAccount(ref: AccountRef): Promise<ServerAccount> {
    const account = await this.serverCall('findAccount', ref, accountSchema);
    return { ...account, user_id: account.user_id ?? null };
  }

  /** Erases the account's passkeys, recovery codes and sessions (the audit log keeps the event). */
  async deleteAccount(ref: AccountRef): Promise<{ account_id: string; deleted: true }> {
    const { account_id } = await this.serverCall('deleteAccount', ref, z.object({ account_id: z.string(), deleted: z.literal(true) }));
    return { account_id, deleted: true };
  }

  async listAccountCredentials(ref: AccountRef): Promise<ServerPasskey[]> {
    return (await this.serverCall('listAccountCredentials', ref, z.object({ credentials: z.array(passkeySchema) }))).credentials;
  }

  async deleteAccountCredential(ref: AccountRef & { credential_id: string }): Promise<{ account_id: string; credential_id: string; deleted: true }> {
    const { account_id, credential_id } = await this.serverCall('deleteAccountCredential', ref, z.object({ account_id: z.string(), credential_id: z.string(), deleted: z.literal(true) }));
    return { account_id, credential_id, deleted: true };
  }

  /** Ends every session of the account issued until now (offline verification learns of it only when they expire). */
  async revokeSessions(ref: AccountRef): Promise<{ account_id: string; sessions_revoked: true }> {
    const { account_id } = await this.serverCall('revokeSessions', ref, z.object({ account_id: z.string(), sessions_revoked: z.literal(true) }));
    return { account_id, sessions_revoked: true };
  }

  /** A server method: the API key (or the admin token) as bearer, the scope always named so a key of another scope fails loudly. */
  private async serverCall<S extends z.ZodType>(method: string, params: object, schema: S): Promise<z.output<S>> {
    const bearer = this.options.apiKey ?? this.options.adminToken;
    const result = await this.transport.call(method, { ...params, scope_id: this.options.scopeId }, bearer);
    const parsed = schema.safeParse(result);
    if (!parsed.success || !isRecord(result)) throw new GatewayServerError('unexpected_reply', `${method}: unexpected result`, { method, cause: parsed.error });
    return parsed.data;
  }
}
