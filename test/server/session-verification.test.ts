/**
 * passkey-gateway/server's verifySession: sessions the gateway issued, verified offline against the
 * JWKS the helper fetched (getJwks) and cached, through the real endpoint on both store pairs. What
 * an app relies on: a real session gives its account; anything not signed by the gateway for this
 * scope and issuer, or expired, is session_invalid; the JWKS is fetched once and again only for a
 * key it lacks, at most once per cooldown.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT, decodeProtectedHeader } from 'jose';
import { GatewayServer, GatewayServerError, type ServerFetch } from '../../src/server/index.js';
import { open, RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { describeForBackends } from '../support/backends.js';
import { register, signIn } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';

describeForBackends('passkey-gateway/server verifySession', (backend) => {
  let harness: Harness;
  let scopeId: string;
  beforeAll(async () => {
    harness = await startGateway(backend, { DEMO: 'off', SESSION_ISSUER: 'https://passkeys.test' });
    scopeId = (await harness.createScope()).scope_id;
  });
  afterAll(() => harness?.close());

  /** A fetch that counts getJwks calls and may rewrite their answers. */
  function countingFetch(rewriteJwks?: (result: unknown, call: number) => unknown): { fetch: ServerFetch; jwksCalls: () => number } {
    let calls = 0;
    return {
      jwksCalls: () => calls,
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        if ((JSON.parse(init.body) as { method: string }).method !== 'getJwks') return response;
        calls += 1;
        const reply = (await response.json()) as { result: unknown };
        const call = calls;
        return { status: response.status, json: () => Promise.resolve({ ...reply, result: rewriteJwks ? rewriteJwks(reply.result, call) : reply.result }) };
      },
    };
  }

  function helper(options: Partial<ConstructorParameters<typeof GatewayServer>[0]> = {}): GatewayServer {
    return new GatewayServer({ url: harness.url, scopeId, apiKey: 'unused-here', issuer: 'https://passkeys.test', ...options });
  }

  /** A new account's session JWT, as the browser client's sessionJwt() hands it to the app. */
  async function newSession(): Promise<{ jwt: string; accountId: string; client: RpcClient; authenticator: SoftAuthenticator; username: string }> {
    const client = new RpcClient(harness.url, scopeId, harness.publicKey, TEST_ORIGIN);
    const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
    const username = `user-${randomUUID().slice(0, 8)}`;
    const { account_id, encrypted_jwt } = await register(client, authenticator, username);
    return { jwt: open(client.aesKey, encrypted_jwt), accountId: account_id, client, authenticator, username };
  }

  async function reasonOf(promise: Promise<unknown>): Promise<string> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatewayServerError);
    return String((error as GatewayServerError).reason);
  }

  it("should give a gateway session's account, scope and passkey", async () => {
    const { jwt, accountId } = await newSession();
    const session = await helper().verifySession(jwt);
    expect(session).toMatchObject({ account_id: accountId, user_id: null, scope_id: scopeId, user_verified: true, second_factor: false });
    expect(session.credential_id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(session.expires_at).toBeGreaterThan(Date.now() / 1000);
  });

  it('should verify a sign-in session as well as a registration one', async () => {
    const { client, authenticator, username, accountId } = await newSession();
    const sealed = await signIn(client, authenticator, username);
    expect((await helper().verifySession(open(client.aesKey, sealed))).account_id).toBe(accountId);
  });

  it('should refuse a session of another scope (its audience)', async () => {
    const { jwt } = await newSession();
    const otherScope = (await harness.createScope()).scope_id;
    expect(await reasonOf(helper({ scopeId: otherScope }).verifySession(jwt))).toBe('session_invalid');
  });

  it('should refuse a session of another issuer', async () => {
    const { jwt } = await newSession();
    expect(await reasonOf(helper({ issuer: 'passkey-gateway' }).verifySession(jwt))).toBe('session_invalid');
  });

  it('should refuse an expired session', async () => {
    const { jwt } = await newSession();
    const inTwoHours = () => Date.now() + 2 * 3600_000;
    expect(await reasonOf(helper({ now: inTwoHours }).verifySession(jwt))).toBe('session_invalid');
  });

  it('should refuse a session whose claims were changed', async () => {
    const { jwt } = await newSession();
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, account_id: randomUUID() })).toString('base64url');
    expect(await reasonOf(helper().verifySession(`${header}.${forged}.${signature}`))).toBe('session_invalid');
  });

  it("should refuse a session signed by another key under the gateway's key id, and unsigned or HMAC ones", async () => {
    const { jwt } = await newSession();
    const [, payload] = jwt.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const { kid } = decodeProtectedHeader(jwt);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: String(kid) }).sign(privateKey);
    expect(await reasonOf(helper().verifySession(foreign))).toBe('session_invalid');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', kid })).toString('base64url')}.${payload}.`;
    expect(await reasonOf(helper().verifySession(unsigned))).toBe('session_invalid');
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: String(kid) }).sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await reasonOf(helper().verifySession(hmac))).toBe('session_invalid');
    expect(await reasonOf(helper().verifySession('not a jwt'))).toBe('session_invalid');
  });

  it('should tell an unreachable gateway (network_error) from a session that does not verify', async () => {
    const { jwt } = await newSession();
    expect(await reasonOf(helper({ url: 'http://127.0.0.1:9/' }).verifySession(jwt))).toBe('network_error');
  });

  it('should fetch the JWKS once for many sessions, and again only when its age runs out', async () => {
    const counting = countingFetch();
    let clock = Date.now();
    const server = helper({ fetch: counting.fetch, now: () => clock, jwksMaxAgeMs: 60_000 });
    const [first, second] = await Promise.all([newSession(), newSession()]);
    await Promise.all([server.verifySession(first.jwt), server.verifySession(second.jwt)]);
    await server.verifySession(first.jwt);
    expect(counting.jwksCalls()).toBe(1);
    clock += 61_000;
    await server.verifySession(second.jwt);
    expect(counting.jwksCalls()).toBe(2);
  });

  it('should fetch the JWKS again for a key it lacks (a rotation), but not more often than the cooldown', async () => {
    // The first answer lacks the current key, as a JWKS fetched before a rotation would.
    const counting = countingFetch((result, call) => (call === 1 ? { keys: [] } : result));
    let clock = Date.now();
    const server = helper({ fetch: counting.fetch, now: () => clock, jwksCooldownMs: 30_000 });
    const { jwt } = await newSession();
    // Within the cooldown of the first fetch, the missing key is not fetched again.
    expect(await reasonOf(server.verifySession(jwt))).toBe('session_invalid');
    expect(counting.jwksCalls()).toBe(1);
    clock += 31_000;
    expect((await server.verifySession(jwt)).scope_id).toBe(scopeId);
    expect(counting.jwksCalls()).toBe(2);
    // A token naming a key the gateway never had cannot make it fetch on every call.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const bogus = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid: 'no-such-key' }).setIssuedAt().setExpirationTime('1h').sign(privateKey);
    for (let i = 0; i < 5; i++) expect(await reasonOf(server.verifySession(bogus))).toBe('session_invalid');
    expect(counting.jwksCalls()).toBe(2);
  });
});
