/**
 * The assertion verifier on named cases, each beside what @simplewebauthn/server answers: the
 * quirks it has to share with the library are spelled out here; the differential test covers the
 * rest at random.
 */
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { jest } from '@jest/globals';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type VerifiedAuthenticationResponse,
} from '@simplewebauthn/server';
import { createAssertionVerifier, type VerifyAssertionOptions } from '../../src/authentication/assertion-verifier.js';
import { createDecoyPublicKey } from '../../src/authentication/decoy-credentials.js';
import { SoftAuthenticator, type SoftAlgorithm } from '../../scripts/lib/soft-authenticator.js';

const RP_ID = 'app.example.test';
const ORIGIN = 'https://app.example.test';
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

interface Passkey {
  authenticator: SoftAuthenticator;
  publicKey: Uint8Array<ArrayBuffer>;
  id: string;
}

async function passkey(algorithm: SoftAlgorithm): Promise<Passkey> {
  const authenticator = new SoftAuthenticator({ algorithm, attestation: 'none' });
  const options = await generateRegistrationOptions({ rpName: 'verifier', rpID: RP_ID, userName: 'alice', attestationType: 'none' });
  const registered = await verifyRegistrationResponse({
    response: authenticator.createCredential(options, ORIGIN),
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
  });
  const { id, publicKey } = registered.registrationInfo!.credential;
  return { authenticator, publicKey, id };
}

async function assertionOptions(key: Passkey, overrides: Parameters<SoftAuthenticator['getAssertion']>[2] = {}): Promise<VerifyAssertionOptions> {
  const request = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: key.id }] });
  return {
    response: key.authenticator.getAssertion(request, ORIGIN, overrides),
    expectedChallenge: request.challenge,
    expectedOrigin: [ORIGIN],
    expectedRPID: RP_ID,
    credential: { id: key.id, publicKey: key.publicKey, counter: 0 },
    requireUserVerification: true,
  };
}

/** The same options with the signature bytes replaced (re-encoded, or signed again over the same data). */
function withSignature(options: VerifyAssertionOptions, signature: Uint8Array): VerifyAssertionOptions {
  const response: AuthenticationResponseJSON = { ...options.response, response: { ...options.response.response, signature: Buffer.from(signature).toString('base64url') } };
  return { ...options, response };
}

type Answer = 'accepted' | 'not verified' | 'thrown';
async function answerOf(verify: Promise<VerifiedAuthenticationResponse>): Promise<Answer> {
  try {
    return (await verify).verified ? 'accepted' : 'not verified';
  } catch {
    return 'thrown';
  }
}

/** What both verifiers answer for `options`; the test then says which it must be. */
async function bothAnswer(options: VerifyAssertionOptions): Promise<Answer> {
  const library = await answerOf(verifyAuthenticationResponse(options));
  const ours = await answerOf(createAssertionVerifier().verify(options));
  expect(ours).toBe(library);
  return ours;
}

const derInteger = (value: bigint) => {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const body = Buffer.from(hex, 'hex');
  return body[0]! & 0x80 ? Buffer.concat([Buffer.from([0x02, body.length + 1, 0]), body]) : Buffer.concat([Buffer.from([0x02, body.length]), body]);
};
const derSequence = (content: Buffer, tag = 0x30) => Buffer.concat([Buffer.from([tag, content.length]), content]);
function signatureIntegers(options: VerifyAssertionOptions): [bigint, bigint] {
  const der = Buffer.from(options.response.response.signature, 'base64url');
  const rLength = der[3]!;
  const r = BigInt(`0x${der.subarray(4, 4 + rLength).toString('hex')}`);
  const s = BigInt(`0x${der.subarray(6 + rLength).toString('hex')}`);
  return [r, s];
}

describe('the assertion verifier', () => {
  let es256: Passkey;
  beforeAll(async () => {
    es256 = await passkey('ES256');
  });

  it.each<SoftAlgorithm>(['ES256', 'EdDSA', 'RS256'])('should verify a %s assertion and answer what the library answers', async (algorithm) => {
    const key = algorithm === 'ES256' ? es256 : await passkey(algorithm);
    const options = await assertionOptions(key, { backupEligible: true, backedUp: true, counter: 7 });
    const ours = await createAssertionVerifier().verify(options);
    expect(ours).toEqual(await verifyAuthenticationResponse(options));
    expect(ours).toMatchObject({
      verified: true,
      authenticationInfo: { newCounter: 7, credentialDeviceType: 'multiDevice', credentialBackedUp: true, userVerified: true, origin: ORIGIN, rpID: RP_ID },
    });
  });

  it('should check the decoy key as a signature that does not verify, not as a key it cannot read', async () => {
    const options = await assertionOptions(es256);
    const decoy = { ...options, credential: { ...options.credential, publicKey: createDecoyPublicKey() } };
    await expect(createAssertionVerifier().verify(decoy)).resolves.toMatchObject({ verified: false });
    expect(await bothAnswer(decoy)).toBe('not verified');
  });

  it('should never refuse on the counter when the stored one is 0 (the gateway applies its own rule afterwards)', async () => {
    for (const counter of [0, 1, 0xffffffff]) expect(await bothAnswer(await assertionOptions(es256, { counter }))).toBe('accepted');
  });

  it('should refuse a topOrigin, with crossOrigin or without, and take crossOrigin alone', async () => {
    const framed = (crossOrigin: boolean, extra: Record<string, unknown>) => assertionOptions(es256, { clientData: { crossOrigin, extra } });
    expect(await bothAnswer(await framed(true, { topOrigin: 'https://evil.example' }))).toBe('thrown');
    expect(await bothAnswer(await framed(false, { topOrigin: 'https://evil.example' }))).toBe('thrown');
    expect(await bothAnswer(await framed(true, {}))).toBe('accepted');
  });

  it('should take a token binding only with a known status', async () => {
    expect(await bothAnswer(await assertionOptions(es256, { clientData: { extra: { tokenBinding: { status: 'present', id: 'x' } } } }))).toBe('accepted');
    expect(await bothAnswer(await assertionOptions(es256, { clientData: { extra: { tokenBinding: { status: 'bogus' } } } }))).toBe('thrown');
    expect(await bothAnswer(await assertionOptions(es256, { clientData: { extra: { tokenBinding: 'present' } } }))).toBe('thrown');
  });

  it('should refuse a backed-up single-device credential (BS without BE)', async () => {
    expect(await bothAnswer(await assertionOptions(es256, { backupEligible: false, backedUp: true }))).toBe('thrown');
  });

  it('should take high-S ECDSA signatures, as WebCrypto does', async () => {
    const options = await assertionOptions(es256);
    const [r, s] = signatureIntegers(options);
    expect(await bothAnswer(withSignature(options, derSequence(Buffer.concat([derInteger(r), derInteger(P256_ORDER - s)]))))).toBe('accepted');
  });

  it("should take the other ECDSA signature encodings the library's BER parser takes, and refuse the ones it refuses", async () => {
    const options = await assertionOptions(es256);
    const [r, s] = signatureIntegers(options);
    const content = Buffer.concat([derInteger(r), derInteger(s)]);
    // Not DER, but the library reads each to the same r and s.
    expect(await bothAnswer(withSignature(options, derSequence(content, 0xb0)))).toBe('accepted'); // a context tag
    expect(await bothAnswer(withSignature(options, Buffer.concat([Buffer.from([0x30, 0x81, content.length]), content])))).toBe('accepted'); // long-form length
    expect(await bothAnswer(withSignature(options, Buffer.concat([derSequence(content), Buffer.from([1, 2, 3])])))).toBe('accepted'); // bytes after it
    expect(await bothAnswer(withSignature(options, derSequence(Buffer.concat([content, derInteger(1n)]))))).toBe('accepted'); // a third INTEGER
    // A SET is not a SEQUENCE.
    expect(await bothAnswer(withSignature(options, derSequence(content, 0x31)))).toBe('thrown');
  });

  it('should refuse an integer one byte too long whose leading zero DER does not need', async () => {
    // An assertion whose r takes 32 bytes with its high bit clear, so a zero before it is one byte too many.
    let options = await assertionOptions(es256);
    while (signatureIntegers(options)[0] >> 248n === 0n || signatureIntegers(options)[0] >> 255n === 1n) options = await assertionOptions(es256);
    const [r, s] = signatureIntegers(options);
    const padded = Buffer.concat([Buffer.from([0x02, 33, 0]), derInteger(r).subarray(2), derInteger(s)]);
    expect(await bothAnswer(withSignature(options, derSequence(padded)))).toBe('thrown');
  });

  it('should take r or s of exactly 32 bytes with the high bit set (no leading zero), as the library does', async () => {
    // Sign until r has its high bit set, then drop DER's zero byte before it.
    const key = await passkey('ES256');
    const options = await assertionOptions(key);
    const credential = key.authenticator.credentials[0]!;
    const jwk = { kty: 'EC', crv: 'P-256', d: Buffer.from(credential.secretKey).toString('base64url') };
    const cose = Buffer.from(key.publicKey);
    const x = cose.subarray(cose.indexOf(Buffer.from([0x21, 0x58, 0x20])) + 3).subarray(0, 32);
    const y = cose.subarray(cose.indexOf(Buffer.from([0x22, 0x58, 0x20])) + 3).subarray(0, 32);
    const privateKey = createPrivateKey({ key: { ...jwk, x: x.toString('base64url'), y: y.toString('base64url') }, format: 'jwk' });
    const data = Buffer.concat([
      Buffer.from(options.response.response.authenticatorData, 'base64url'),
      createHash('sha256').update(Buffer.from(options.response.response.clientDataJSON, 'base64url')).digest(),
    ]);
    for (;;) {
      const raw = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      if ((raw[0]! & 0x80) === 0) continue;
      const unsigned = derSequence(Buffer.concat([Buffer.from([0x02, 32]), raw.subarray(0, 32), derInteger(BigInt(`0x${raw.subarray(32).toString('hex')}`))]));
      expect(await bothAnswer(withSignature(options, unsigned))).toBe('accepted');
      return;
    }
  });

  it('should keep parsed keys in a bounded LRU of its own, and make no WebCrypto call for a DER signature', async () => {
    const verifier = createAssertionVerifier({ maxKeys: 2 });
    const other = createAssertionVerifier({ maxKeys: 2 });
    const keys = [es256, await passkey('EdDSA'), await passkey('ES256')];
    const subtle = globalThis.crypto.subtle;
    const calls = [jest.spyOn(subtle, 'importKey'), jest.spyOn(subtle, 'verify'), jest.spyOn(subtle, 'digest')];
    try {
      for (const key of keys) await expect(verifier.verify(await assertionOptions(key))).resolves.toMatchObject({ verified: true });
      expect(calls.map((spy) => spy.mock.calls.length)).toEqual([0, 0, 0]);
    } finally {
      for (const spy of calls) spy.mockRestore();
    }
    expect(verifier.cachedKeys).toBe(2);
    expect(other.cachedKeys).toBe(0);
  });
});
