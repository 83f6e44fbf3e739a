import { randomUUID } from 'node:crypto';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { register, signIn } from '../support/ceremonies.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';

describe('GET /metrics', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startGateway('embedded');
  });
  afterAll(() => harness.close());

  it('should expose calls by method and outcome, ceremony and store latency, and unwrap cache hits in Prometheus text', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const client = new RpcClient(harness.url, scopeId, harness.publicKey);
    const authenticator = new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });
    const username = `frank-${randomUUID().slice(0, 6)}`;
    await register(client, authenticator, username);
    await signIn(client, authenticator, username);
    await client.call('completeAuthentication', { challenge_id: 'gone', encrypted_assertion: client.seal({}) });

    const response = await fetch(harness.gateway.metricsUrl!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const value = (line: RegExp) => Number(text.split('\n').find((l) => line.test(l))?.split(' ').pop());
    expect(value(/^pkgw_rpc_requests_total\{method="completeRegistration",outcome="ok"\}/)).toBe(1);
    expect(value(/^pkgw_rpc_requests_total\{method="completeAuthentication",outcome="ok"\}/)).toBe(1);
    expect(value(/^pkgw_rpc_requests_total\{method="completeAuthentication",outcome="(invalid_params|challenge_not_found)"\}/)).toBe(1);
    expect(value(/^pkgw_ceremony_duration_seconds_count\{method="initiateRegistration",result="ok"\}/)).toBe(1);
    expect(value(/^pkgw_store_duration_seconds_count\{store="accounts",operation="createAccountWithCredential",outcome="ok"\}/)).toBe(1);
    expect(value(/^pkgw_store_duration_seconds_count\{store="challenges",operation="consume",outcome="ok"\}/)).toBeGreaterThanOrEqual(2);
    // One client key, many calls: the RSA unwrap was cached.
    expect(value(/^pkgw_rsa_unwrap_cache_hits_total /)).toBeGreaterThan(0);
    expect(text).toContain('pkgw_process_resident_memory_bytes');
  });
});
