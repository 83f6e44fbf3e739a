/**
 * Findings of the review of the node:crypto assertion verifier, through the real endpoint on both
 * store pairs. The strict-CBOR check and verification must read the same bytes: base64url decoders
 * disagree on padding beyond the last group (the library's reads "abcdefg==" as 4 bytes, Buffer as
 * 5), so such padding could let the check pass bytes that verification then reads differently.
 */
import { randomUUID } from 'node:crypto';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import type { Scope } from '../../src/domain/scope.js';
import { describeForBackends, type TestBackend } from '../support/backends.js';
import { initiateAuthentication, initiateRegistration, register, signIn } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';

const openEnv = { RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_USER_PER_MINUTE: '0' };
/**
 * One or two `=` (what a base64url pattern allows) that do not complete the last group: never what
 * a conforming encoder writes, and read as different bytes by different decoders.
 */
const overPadded = (b64url: string) => b64url + (b64url.length % 4 === 2 ? '=' : '==');

describeForBackends('assertion verifier review findings, through the real endpoint', (backend: TestBackend) => {
  let harness: Harness;
  let scope: Scope;
  const newClient = () => new RpcClient(harness.url, scope.scope_id, harness.publicKey, TEST_ORIGIN);

  beforeAll(async () => {
    harness = await startGateway(backend, openEnv);
    scope = await harness.createScope();
  });
  afterAll(() => harness.close());

  it('finding 12: authenticatorData with padding beyond its last group is invalid_params, and correct padding still signs in', async () => {
    const client = newClient();
    const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
    const username = `pad-${randomUUID().slice(0, 8)}`;
    await register(client, authenticator, username);

    const started = await initiateAuthentication(client, username);
    const assertion = authenticator.getAssertion(started.options, TEST_ORIGIN);
    const padded = { ...assertion, response: { ...assertion.response, authenticatorData: overPadded(assertion.response.authenticatorData) } };
    const reply = await client.call('completeAuthentication', { challenge_id: started.challengeId, encrypted_assertion: client.seal(padded), encrypted_user: started.encryptedUser });
    expect(reply.error).toEqual({ code: -32602, message: 'Invalid params', data: 'invalid_params' });

    // Padding that completes the last group is base64url as RFC 4648 writes it: accepted.
    await expect(signIn(client, authenticator, username)).resolves.toEqual(expect.any(String));
    const again = await initiateAuthentication(client, username);
    const fresh = authenticator.getAssertion(again.options, TEST_ORIGIN);
    const data = fresh.response.authenticatorData;
    const canonical = { ...fresh, response: { ...fresh.response, authenticatorData: data + '='.repeat((4 - (data.length % 4)) % 4) } };
    const accepted = await client.call('completeAuthentication', { challenge_id: again.challengeId, encrypted_assertion: client.seal(canonical), encrypted_user: again.encryptedUser });
    expect(accepted.error).toBeUndefined();
  });

  it('finding 12: an attestationObject with padding beyond its last group is invalid_params', async () => {
    const client = newClient();
    const started = await initiateRegistration(client, `pad-${randomUUID().slice(0, 8)}`);
    const attestation = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' }).createCredential(started.options, TEST_ORIGIN);
    const padded = { ...attestation, response: { ...attestation.response, attestationObject: overPadded(attestation.response.attestationObject) } };
    const reply = await client.call('completeRegistration', { challenge_id: started.challengeId, encrypted_attestation: client.seal(padded), encrypted_user: started.encryptedUser });
    expect(reply.error).toEqual({ code: -32602, message: 'Invalid params', data: 'invalid_params' });
  });
});
