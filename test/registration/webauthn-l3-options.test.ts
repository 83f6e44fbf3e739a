/** WebAuthn Level 3 options and what registration records, through the real endpoint on both store pairs. */
import { randomUUID } from 'node:crypto';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import type { ScopeSettingsInput } from '../../src/domain/scope.js';
import { describeForBackends, type TestBackend } from '../support/backends.js';
import { register, sessionCall } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';

describeForBackends('WebAuthn Level 3 options through the real endpoint', (backend: TestBackend) => {
  let harness: Harness;
  const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
  const clientOf = async (settings: Partial<ScopeSettingsInput> = {}) => {
    const scope = await harness.createScope(settings);
    return new RpcClient(harness.url, scope.scope_id, harness.publicKey, TEST_ORIGIN);
  };
  const optionsOf = async (client: RpcClient, method: 'initiateRegistration' | 'initiateAuthentication', params: Record<string, unknown> = {}) => {
    const reply = await client.call(method, { encrypted_user: client.seal({ username: unique('hint') }), ...params });
    if (reply.error !== undefined) return { error: reply.error.data };
    const field = method === 'initiateRegistration' ? 'encrypted_creation_challenge' : 'encrypted_request_challenge';
    return client.openJson<{ publicKey: { hints?: string[]; extensions?: Record<string, unknown>; attestation?: string } }>(reply.result?.[field]).publicKey;
  };

  beforeAll(async () => {
    harness = await startGateway(backend, { RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_USER_PER_MINUTE: '0' });
  });
  afterAll(() => harness.close());

  it("should put the scope's hints in both ceremonies' options unless a call names its own, and ask for credProps", async () => {
    const client = await clientOf({ hints: ['security-key', 'hybrid'] });
    expect(await optionsOf(client, 'initiateRegistration')).toMatchObject({ hints: ['security-key', 'hybrid'], extensions: { credProps: true } });
    expect(await optionsOf(client, 'initiateAuthentication')).toMatchObject({ hints: ['security-key', 'hybrid'] });
    expect(await optionsOf(client, 'initiateRegistration', { hints: ['client-device'] })).toMatchObject({ hints: ['client-device'] });
    expect(await optionsOf(client, 'initiateAuthentication', { hints: [] })).toMatchObject({ hints: [] });
    expect(await optionsOf(client, 'initiateAuthentication', { hints: ['usb'] })).toEqual({ error: 'invalid_params' });
    expect(await optionsOf(client, 'initiateRegistration', { hints: ['hybrid', 'hybrid'] })).toEqual({ error: 'invalid_params' });
    expect(await optionsOf(await clientOf(), 'initiateRegistration')).toMatchObject({ hints: [] });
  });

  it("should record the browser's credProps.rk and authenticatorAttachment for each passkey", async () => {
    const client = await clientOf();
    const securityKey = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', residentKey: false, attachment: 'cross-platform' });
    const registered = await register(client, securityKey, unique('key'));
    const listed = await sessionCall<{ credentials: Record<string, unknown>[] }>(client, registered.encrypted_jwt, 'listCredentials');
    expect(listed.result?.credentials).toEqual([expect.objectContaining({ discoverable: false, authenticator_attachment: 'cross-platform', attestation_verified: false })]);
  });

  it('should change the display name, audited, and refuse an empty or over-long one', async () => {
    const client = await clientOf();
    const registered = await register(client, new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' }), unique('name'));
    const session = registered.encrypted_jwt;
    expect((await sessionCall(client, session, 'updateDisplayName', { display_name: '  Alice Ｌiddell ' })).result).toEqual({ display_name: 'Alice Liddell' });
    expect((await sessionCall<{ display_name: string }>(client, session, 'getAccount')).result?.display_name).toBe('Alice Liddell');
    for (const bad of ['   ', 'x'.repeat(257), 'tab\there']) {
      expect((await sessionCall(client, session, 'updateDisplayName', { display_name: bad })).error?.data).toBe('invalid_params');
    }
    expect((await sessionCall(client, '', 'updateDisplayName', { display_name: 'Mallory' })).error?.data).toBe('session_invalid');
    const events = await harness.gateway.stores.auditLog.listAuditEvents(client.scopeId, { limit: 100 });
    expect(events.filter((event) => event.event === 'display_name_changed')).toEqual([expect.objectContaining({ account_id: registered.account_id })]);
  });
});
