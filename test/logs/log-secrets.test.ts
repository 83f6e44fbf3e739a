import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { open, RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { describeForBackends } from '../support/backends.js';
import { initiateAuthentication, initiateRegistration, sessionCall } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { adminCall } from '../admin/admin-rpc.js';
import { register } from '../support/ceremonies.js';

/** Secret values of one run, by name; a log line must contain none of them. */
type Secrets = Map<string, string>;

/** A PEM file's base64 body as a whole and line by line (a partial key is still a leak). */
function pemPieces(name: string, path: string, into: Secrets): void {
  const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0 && !line.startsWith('-----'));
  into.set(`${name} (base64 body)`, lines.join(''));
  lines.forEach((line, i) => {
    if (line.length >= 32) into.set(`${name} (line ${i + 1})`, line);
  });
}

describeForBackends('logs of a full run', (backend) => {
  let harness: Harness;
  const lines: string[] = [];

  beforeAll(async () => {
    // Every level, every line, through the production logger.
    harness = await startGateway(backend, { LOG_LEVEL: 'trace', RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_USER_PER_MINUTE: '0' }, { logDestination: { write: (line: string) => void lines.push(line) } });
  });
  afterAll(() => harness.close());

  it('should hold no key, session, attestation or envelope plaintext, and carry request ids', async () => {
    const scopeId = (await harness.createScope()).scope_id;
    const client = new RpcClient(harness.url, scopeId, harness.publicKey, TEST_ORIGIN);
    const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'packed-self' });
    const username = `log-scan-${randomUUID()}`;
    const displayName = `Display ${randomUUID()}`;
    const secrets: Secrets = new Map();
    const aesKey = client.aesKey;
    secrets.set('AES key (base64)', aesKey.toString('base64')).set('AES key (hex)', aesKey.toString('hex')).set('AES key (base64url)', aesKey.toString('base64url'));
    secrets.set('X-Encrypted-Key', client.encryptedKey);

    // Registration.
    const started = await initiateRegistration(client, username, displayName);
    const attestation = authenticator.createCredential(started.options, TEST_ORIGIN);
    const encryptedAttestation = client.seal(attestation);
    const registered = await client.call('completeRegistration', { challenge_id: started.challengeId, encrypted_attestation: encryptedAttestation, encrypted_user: started.encryptedUser });
    expect(registered.error).toBeUndefined();
    secrets.set('encrypted_user', started.encryptedUser).set('encrypted_attestation', encryptedAttestation);
    secrets.set('user plaintext', JSON.stringify({ username, userDisplayName: displayName })).set('display name', displayName);
    secrets.set('attestation JSON', JSON.stringify(attestation)).set('clientDataJSON (registration)', attestation.response.clientDataJSON).set('attestationObject', attestation.response.attestationObject);
    secrets.set('registration session envelope', String(registered.result?.encrypted_jwt)).set('registration session', open(aesKey, String(registered.result?.encrypted_jwt)));

    // Sign-in.
    const signingIn = await initiateAuthentication(client, username);
    const assertion = authenticator.getAssertion(signingIn.options, TEST_ORIGIN);
    const encryptedAssertion = client.seal(assertion);
    const signedIn = await client.call('completeAuthentication', { challenge_id: signingIn.challengeId, encrypted_assertion: encryptedAssertion, encrypted_user: signingIn.encryptedUser });
    expect(signedIn.error).toBeUndefined();
    const session = String(signedIn.result?.encrypted_jwt);
    const jwt = open(aesKey, session);
    secrets.set('encrypted_assertion', encryptedAssertion).set('assertion JSON', JSON.stringify(assertion));
    secrets.set('clientDataJSON (sign-in)', assertion.response.clientDataJSON).set('authenticatorData', assertion.response.authenticatorData).set('signature', assertion.response.signature);
    if (assertion.response.userHandle) secrets.set('userHandle', assertion.response.userHandle);
    secrets.set('session envelope', session).set('session JWT', jwt).set('session JWT signature', jwt.split('.')[2]!);

    // Authenticated calls, then sign-out.
    expect((await sessionCall(client, session, 'getAccount')).result).toMatchObject({ username });
    const { result: listed } = await sessionCall<{ credentials: { credential_id: string }[] }>(client, session, 'listCredentials');
    const credentialId = listed!.credentials[0]!.credential_id;
    expect((await sessionCall(client, session, 'renameCredential', { credential_id: credentialId, name: 'Renamed key' })).error).toBeUndefined();
    expect((await sessionCall(client, session, 'logout')).result).toEqual({ revoked: true });

    // Failures, each of which logs its refusal.
    expect((await sessionCall(client, session, 'getAccount')).error?.data).toBe('session_invalid');
    const badOrigin = await initiateRegistration(client, `log-scan-${randomUUID()}`);
    const badAttestation = authenticator.createCredential(badOrigin.options, 'https://evil.example');
    secrets.set('refused attestation clientDataJSON', badAttestation.response.clientDataJSON).set('refused attestationObject', badAttestation.response.attestationObject);
    const refused = await client.call('completeRegistration', { challenge_id: badOrigin.challengeId, encrypted_attestation: client.seal(badAttestation), encrypted_user: badOrigin.encryptedUser });
    expect(refused.error?.data).toBe('verification_failed');
    const wrongPlaintext = client.seal({ username: 42, secret: `plaintext-${randomUUID()}` });
    secrets.set('refused envelope plaintext', open(aesKey, wrongPlaintext).slice(20));
    expect((await client.call('initiateRegistration', { encrypted_user: wrongPlaintext })).error?.data).toBe('invalid_params');
    const flipped = Buffer.from(started.encryptedUser, 'base64');
    flipped[20] = flipped[20]! ^ 1;
    const envelopeFailure = await fetch(harness.url, {
      method: 'POST',
      headers: client.headers(),
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'initiateRegistration', params: { encrypted_user: flipped.toString('base64') } }),
    });
    expect(((await envelopeFailure.json()) as { error: { data: string } }).error.data).toBe('envelope_invalid');
    const requestId = envelopeFailure.headers.get('x-request-id');

    // Keys and secrets the gateway holds.
    pemPieces('RSA private key', join(harness.dataDir, 'rsa-private-key.pem'), secrets);
    pemPieces('session signing key', join(harness.dataDir, 'session-key.pem'), secrets);
    secrets.set('identifier secret', readFileSync(join(harness.dataDir, 'identifier-secret'), 'utf8').trim());
    secrets.set('account key secret', readFileSync(join(harness.dataDir, 'account-key-secret'), 'utf8').trim());

    // At least: registered, signed in, and the four refusals.
    expect(lines.length).toBeGreaterThanOrEqual(6);
    const leaks = lines.flatMap((line, i) => [...secrets].filter(([, value]) => value.length >= 8 && line.includes(value)).map(([name]) => `line ${i + 1}: ${name}`));
    expect(leaks).toEqual([]);
    if (process.env.LOG_SCAN_PRINT === "1") console.log(lines.join(""));

    // Every line is JSON; the refused call's request id (sent back as X-Request-Id) is in its log line.
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(records.some((record) => record.requestId === requestId)).toBe(true);
  });
});

describeForBackends('logs of server calls with API keys', (backend) => {
  let harness: Harness;
  let tokenDir: string;
  const token = randomBytes(32).toString('base64url');
  const lines: string[] = [];

  beforeAll(async () => {
    tokenDir = mkdtempSync(join(tmpdir(), 'pkgw-admin-'));
    writeFileSync(join(tokenDir, 'admin-token'), token, { mode: 0o600 });
    harness = await startGateway(
      backend,
      { LOG_LEVEL: 'trace', ADMIN_TOKEN_FILE: join(tokenDir, 'admin-token'), RATE_LIMIT_API_KEY_PER_MINUTE: '3' },
      { logDestination: { write: (line: string) => void lines.push(line) } },
    );
  });
  afterAll(async () => {
    await harness.close();
    rmSync(tokenDir, { recursive: true, force: true });
  });

  it('should hold no API key secret, its hash or the admin token, whatever the call made of them', async () => {
    const [scopeId, otherScope] = [(await harness.createScope()).scope_id, (await harness.createScope()).scope_id];
    const created = await adminCall<{ secret: string; key_id: string }>(harness.url, 'createApiKey', { scope_id: scopeId, name: 'log scan' }, token);
    const { secret, key_id } = created.result!;
    const client = new RpcClient(harness.url, scopeId, harness.publicKey, TEST_ORIGIN);
    const username = `log-scan-${randomUUID()}`;
    const { account_id } = await register(client, new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' }), username);

    // Accepted, refused as another scope, refused for a wrong secret, rate limited, then revoked and refused.
    expect((await adminCall(harness.url, 'findAccount', { account_id }, secret)).result).toBeDefined();
    expect((await adminCall(harness.url, 'findAccount', { scope_id: otherScope, account_id }, secret)).error?.data).toBe('scope_mismatch');
    const wrong = `${secret.slice(0, -2)}AA`;
    expect((await adminCall(harness.url, 'findAccount', { account_id }, wrong)).error?.data).toBe('unauthorized');
    expect((await adminCall(harness.url, 'findAccount', { account_id }, `${token}x`)).error?.data).toBe('unauthorized');
    expect((await adminCall(harness.url, 'listAccounts', {}, secret)).result).toBeDefined();
    expect((await adminCall(harness.url, 'listAccounts', {}, secret)).error?.data).toBe('rate_limited');
    expect((await adminCall(harness.url, 'revokeApiKey', { scope_id: scopeId, key_id }, token)).result).toBeDefined();
    expect((await adminCall(harness.url, 'deleteAccount', { account_id }, secret)).error?.data).toBe('unauthorized');

    const secrets: Secrets = new Map([
      ['API key secret', secret],
      ['API key secret without its prefix', secret.slice(4)],
      ['wrong API key secret', wrong.slice(4)],
      ['API key hash', createHash('sha256').update(secret).digest('base64url')],
      ['admin token', token],
    ]);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const leaks = lines.flatMap((line, i) => [...secrets].filter(([, value]) => line.includes(value)).map(([name]) => `line ${i + 1}: ${name}`));
    expect(leaks).toEqual([]);
    // The refusals are there, naming the key by its public id where one was found.
    expect(lines.some((line) => line.includes('scope_mismatch') && line.includes(key_id))).toBe(true);
  });
});
