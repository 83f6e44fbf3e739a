import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { decodeCBOR } from '@levischuck/tiny-cbor';
import { SoftAuthenticator, fromB64url, type SoftAlgorithm, type SoftAttestation } from '../../scripts/lib/soft-authenticator.js';

const RP_ID = 'app.example.test';
const ORIGIN = 'https://app.example.test';

async function register(auth: SoftAuthenticator, requireUserVerification = false) {
  const options = await generateRegistrationOptions({
    rpName: 'Example',
    rpID: RP_ID,
    userName: 'alice',
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  const response = auth.createCredential(options, ORIGIN);
  const verification = await verifyRegistrationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification,
  });
  return { options, response, verification };
}

async function login(auth: SoftAuthenticator, credential: WebAuthnCredential, allow: boolean, requireUserVerification = false) {
  const options = await generateAuthenticationOptions({
    rpID: RP_ID,
    allowCredentials: allow ? [{ id: credential.id }] : [],
  });
  const response = auth.getAssertion(options, ORIGIN);
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    credential,
    requireUserVerification,
  });
  return { options, response, verification };
}

/** What `act` throws; fails the test when it returns instead. */
function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but it returned');
}

const matrix: [SoftAlgorithm, SoftAttestation][] = [
  ['ES256', 'none'],
  ['ES256', 'packed-self'],
  ['EdDSA', 'none'],
  ['EdDSA', 'packed-self'],
  ['RS256', 'none'],
  ['RS256', 'packed-self'],
];

describe.each(matrix)('SoftAuthenticator %s / %s', (algorithm, attestation) => {
  it('registers and authenticates against @simplewebauthn/server', async () => {
    const auth = new SoftAuthenticator({ algorithm, attestation });
    const { options, response, verification } = await register(auth, true);

    // Shape of PublicKeyCredential.toJSON()
    expect(Object.keys(response)).toEqual(['id', 'rawId', 'type', 'authenticatorAttachment', 'response', 'clientExtensionResults']);
    expect(Object.keys(response.response)).toEqual(['clientDataJSON', 'attestationObject', 'transports']);
    expect(response.id).toBe(response.rawId);
    expect(response.id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(fromB64url(response.id).length).toBeGreaterThanOrEqual(16);
    const clientData: unknown = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8'));
    expect(clientData).toEqual({ type: 'webauthn.create', challenge: options.challenge, origin: ORIGIN, crossOrigin: false });
    const attObj = decodeCBOR(fromB64url(response.response.attestationObject)) as Map<string, unknown>;
    expect([...attObj.keys()]).toEqual(['fmt', 'attStmt', 'authData']);
    expect(attObj.get('fmt')).toBe(attestation === 'none' ? 'none' : 'packed');

    expect(verification.verified).toBe(true);
    const info = verification.registrationInfo!;
    expect(info.fmt).toBe(attestation === 'none' ? 'none' : 'packed');
    expect(info.userVerified).toBe(true);
    expect(info.credential.id).toBe(response.id);
    expect(info.credential.counter).toBe(0);
    expect(info.aaguid).toBe('00000000-0000-0000-0000-000000000000');

    const stored = auth.getCredential(response.id)!;
    expect(stored.userHandle).toBe(options.user.id);
    expect(stored.rpId).toBe(RP_ID);

    const credential: WebAuthnCredential = { ...info.credential };
    // with allowCredentials
    const first = await login(auth, credential, true, true);
    expect(Object.keys(first.response)).toEqual(['id', 'rawId', 'type', 'authenticatorAttachment', 'response', 'clientExtensionResults']);
    expect(Object.keys(first.response.response)).toEqual(['clientDataJSON', 'authenticatorData', 'signature', 'userHandle']);
    expect(first.verification.verified).toBe(true);
    expect(first.verification.authenticationInfo.newCounter).toBe(1);
    expect(first.verification.authenticationInfo.userVerified).toBe(true);
    expect(first.response.response.userHandle).toBe(options.user.id);
    credential.counter = first.verification.authenticationInfo.newCounter;

    // discoverable (empty allowCredentials)
    const second = await login(auth, credential, false, true);
    expect(second.verification.verified).toBe(true);
    expect(second.verification.authenticationInfo.newCounter).toBe(2);
  });
});

describe('SoftAuthenticator options', () => {
  it('omits the UV flag when userVerification is false', async () => {
    const auth = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', userVerification: false });
    const { verification } = await register(auth, false);
    expect(verification.verified).toBe(true);
    expect(verification.registrationInfo!.userVerified).toBe(false);
    const credential = verification.registrationInfo!.credential;

    const ok = await login(auth, credential, true, false);
    expect(ok.verification.verified).toBe(true);
    expect(ok.verification.authenticationInfo.userVerified).toBe(false);
    const flags = fromB64url(ok.response.response.authenticatorData)[32]!;
    expect(flags & 0x04).toBe(0);
    expect(flags & 0x01).toBe(1);

    await expect(login(auth, credential, true, true)).rejects.toThrow(/user could not be verified/i);
    await expect(register(new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'packed-self', userVerification: false }), true)).rejects.toThrow(
      /user could not be verified/i,
    );
  });

  it('non-resident credentials: userHandle null, not usable without allowCredentials', async () => {
    const auth = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', residentKey: false });
    const { verification } = await register(auth);
    const credential = verification.registrationInfo!.credential;
    const { response, verification: v } = await login(auth, credential, true);
    expect(v.verified).toBe(true);
    expect(response.response.userHandle).toBeNull();
    await expect(login(auth, credential, false)).rejects.toMatchObject({ name: 'NotAllowedError' });
  });

  it('counterStep 0 keeps the counter at 0; counterStep 2 jumps by 2', async () => {
    const zero = new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none', counterStep: 0 });
    let cred = (await register(zero)).verification.registrationInfo!.credential;
    for (let i = 0; i < 2; i++) {
      const { verification } = await login(zero, cred, true);
      expect(verification.verified).toBe(true);
      expect(verification.authenticationInfo.newCounter).toBe(0);
    }
    const two = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', counterStep: 2 });
    cred = (await register(two)).verification.registrationInfo!.credential;
    expect((await login(two, cred, true)).verification.authenticationInfo.newCounter).toBe(2);
  });

  it('transports, attachment, aaguid and backup flags are reflected', async () => {
    const aaguid = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    const auth = new SoftAuthenticator({
      algorithm: 'ES256',
      attestation: 'packed-self',
      attachment: 'cross-platform',
      transports: ['usb', 'nfc'],
      aaguid,
      backupEligible: true,
      backedUp: true,
    });
    const { response, verification } = await register(auth);
    expect(response.authenticatorAttachment).toBe('cross-platform');
    expect(response.response.transports).toEqual(['usb', 'nfc']);
    const info = verification.registrationInfo!;
    expect(info.aaguid).toBe('01020304-0506-0708-090a-0b0c0d0e0f10');
    expect(info.credentialDeviceType).toBe('multiDevice');
    expect(info.credentialBackedUp).toBe(true);
  });

  it('refuses an algorithm missing from pubKeyCredParams and excluded credentials', async () => {
    const auth = new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });
    const options = await generateRegistrationOptions({ rpName: 'x', rpID: RP_ID, userName: 'bob', supportedAlgorithmIDs: [-7] });
    expect(thrownBy(() => auth.createCredential(options, ORIGIN))).toMatchObject({ name: 'NotSupportedError' });

    const { response } = await register(auth);
    const again = await generateRegistrationOptions({ rpName: 'x', rpID: RP_ID, userName: 'bob', excludeCredentials: [{ id: response.id }] });
    expect(thrownBy(() => auth.createCredential(again, ORIGIN))).toMatchObject({ name: 'InvalidStateError' });
  });

  it('overrides produce responses the server rejects', async () => {
    const auth = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'packed-self' });
    const options = await generateRegistrationOptions({ rpName: 'x', rpID: RP_ID, userName: 'carol' });
    const verify = (response: ReturnType<SoftAuthenticator['createCredential']>) =>
      verifyRegistrationResponse({ response, expectedChallenge: options.challenge, expectedOrigin: ORIGIN, expectedRPID: RP_ID });

    await expect(verify(auth.createCredential(options, ORIGIN, { clientData: { origin: 'https://evil.test' } }))).rejects.toThrow(/origin/i);
    await expect(verify(auth.createCredential(options, ORIGIN, { clientData: { type: 'webauthn.get' } }))).rejects.toThrow(/type/i);
    await expect(verify(auth.createCredential(options, ORIGIN, { clientData: { challenge: 'AAAA' } }))).rejects.toThrow(/challenge/i);
    await expect(verify(auth.createCredential(options, ORIGIN, { rpIdHashOf: 'evil.test' }))).rejects.toThrow(/RP ID/i);
    await expect(verify(auth.createCredential(options, ORIGIN, { corruptSignature: true }))).resolves.toMatchObject({ verified: false });
    // Extra clientData keys are accepted
    const extra = auth.createCredential(options, ORIGIN, { clientData: { extra: { other_keys_can_be_added_here: 'x' } } });
    await expect(verify(extra)).resolves.toMatchObject({ verified: true });

    const reg = await verify(auth.createCredential(options, ORIGIN));
    const credential = reg.registrationInfo!.credential;
    const authOpts = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: credential.id }] });
    const bad = auth.getAssertion(authOpts, ORIGIN, { corruptSignature: true });
    await expect(
      verifyAuthenticationResponse({ response: bad, expectedChallenge: authOpts.challenge, expectedOrigin: ORIGIN, expectedRPID: RP_ID, credential }),
    ).resolves.toMatchObject({ verified: false });
  });

  it('is fast enough for benchmarks', () => {
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) {
      for (const algorithm of ['ES256', 'EdDSA'] as const) {
        const auth = new SoftAuthenticator({ algorithm, attestation: 'packed-self' });
        auth.createCredential(
          {
            rp: { id: RP_ID, name: 'x' },
            user: { id: 'dXNlcg', name: 'u', displayName: 'u' },
            challenge: 'Y2hhbGxlbmdl',
            pubKeyCredParams: [{ type: 'public-key', alg: -8 }, { type: 'public-key', alg: -7 }],
          },
          ORIGIN,
        );
        auth.getAssertion({ challenge: 'Y2hhbGxlbmdl', rpId: RP_ID }, ORIGIN);
      }
    }
    const perOp = (performance.now() - t0) / 100;
    expect(perOp).toBeLessThan(50);
  });
});
