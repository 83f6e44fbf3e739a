import { randomUUID } from 'node:crypto';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { describeForBackends } from '../support/backends.js';
import { register } from '../support/ceremonies.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { match } from '../support/match.js';

const platform = () => new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });

/** initiateAuthentication for `username` from a fresh client; resolves to the error reason or 'ok'. */
async function startSignIn(harness: Harness, scopeId: string, username: string, headers: Record<string, string> = {}): Promise<string> {
  const client = new RpcClient(harness.url, scopeId, harness.publicKey);
  const reply = await client.call('initiateAuthentication', { encrypted_user: client.seal({ username }) }, headers);
  return reply.error?.data ?? 'ok';
}

describeForBackends('rate limits on ceremonies', (backend) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startGateway(backend, { RATE_LIMIT_IP_PER_MINUTE: '8', RATE_LIMIT_USER_PER_MINUTE: '3' });
  });
  afterAll(() => harness.close());

  it('should refuse a username\'s fourth ceremony call in a minute with rate_limited, leaving other usernames alone', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const outcomes = [];
    for (let i = 0; i < 4; i += 1) outcomes.push(await startSignIn(harness, scopeId, 'Mallory'));
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'rate_limited']);
    // Normalized: the same user in other letters is the same counter.
    expect(await startSignIn(harness, scopeId, 'MALLORY')).toBe('rate_limited');
    expect(await startSignIn(harness, scopeId, 'alice')).toBe('ok');
    // Counted per scope: another scope has its own budget.
    expect(await startSignIn(harness, (await harness.createScope()).scope_id, 'Mallory')).toBe('ok');
  });

  it('should refuse an address over its per-scope limit whatever the username, and reply with a well-formed JSON-RPC error', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const outcomes = [];
    for (let i = 0; i < 9; i += 1) outcomes.push(await startSignIn(harness, scopeId, `user-${i}`));
    expect(outcomes.slice(0, 8)).toEqual(Array(8).fill('ok'));
    expect(outcomes[8]).toBe('rate_limited');
    const client = new RpcClient(harness.url, scopeId, harness.publicKey);
    const reply = await client.call('initiateRegistration', { encrypted_user: client.seal({ username: 'new' }) });
    expect(reply.error).toEqual({ code: -32051, message: 'Too many attempts, try again later', data: 'rate_limited' });
    // Methods that are not ceremonies are not counted.
    expect((await client.call('getEncryptionKey', {})).error).toBeUndefined();
  });

  it('should take a scope\'s own limits over the defaults, 0 meaning no limit', async () => {
    const strict = (await harness.createScope({ rate_limit_user_per_minute: 1 })).scope_id;
    expect([await startSignIn(harness, strict, 'bob'), await startSignIn(harness, strict, 'bob')]).toEqual(['ok', 'rate_limited']);
    const open = (await harness.createScope({ rate_limit_ip_per_minute: 0, rate_limit_user_per_minute: 0 })).scope_id;
    const outcomes = [];
    for (let i = 0; i < 12; i += 1) outcomes.push(await startSignIn(harness, open, 'carol'));
    expect(outcomes).toEqual(Array(12).fill('ok'));
  });

  it('should still let a normal registration and sign-in through', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const client = new RpcClient(harness.url, scopeId, harness.publicKey);
    await expect(register(client, platform(), `dave-${randomUUID().slice(0, 6)}`)).resolves.toMatchObject({ account_id: match.any(String) });
  });
});

describe('client address behind a trusted proxy', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startGateway('embedded', { RATE_LIMIT_IP_PER_MINUTE: '2', RATE_LIMIT_USER_PER_MINUTE: '0', TRUST_PROXY_HOPS: '1' });
  });
  afterAll(() => harness.close());

  it('should count per X-Forwarded-For address set by the proxy, ignoring what the client prepended', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const from = (address: string) => ({ 'x-forwarded-for': `10.9.9.9, ${address}` });
    expect(await startSignIn(harness, scopeId, 'a', from('203.0.113.1'))).toBe('ok');
    expect(await startSignIn(harness, scopeId, 'b', from('203.0.113.1'))).toBe('ok');
    expect(await startSignIn(harness, scopeId, 'c', from('203.0.113.1'))).toBe('rate_limited');
    expect(await startSignIn(harness, scopeId, 'd', from('203.0.113.2'))).toBe('ok');
  });
});
