// The cryptography one ceremony cannot avoid, timed alone: the floor under any implementation.
import { constants, createCipheriv, randomUUID, createDecipheriv, createHash, createHmac, createPrivateKey, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, sign, verify } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { SignJWT } from 'jose';
import { createAssertionVerifier } from '../../src/authentication/assertion-verifier.js';
import { checkAttestationObject } from '../../src/ceremony/strict-cbor.js';
import { accountPublicKey } from '../../src/identity/account-key.js';
import { signEs256Jws } from '../../src/sessions/es256-jws.js';
import { SoftAuthenticator } from '../lib/soft-authenticator.js';

export interface FloorRow {
  operation: string;
  microseconds: number;
}

const ORIGIN = 'http://localhost:8788';

/** Mean time of `op`, run at most `maxRuns` times and for at most `maxMs` after a short warm-up. */
async function time(operation: string, op: () => unknown, maxRuns = 5000, maxMs = 700): Promise<FloorRow> {
  for (let i = 0; i < 20; i += 1) await op();
  const started = performance.now();
  let runs = 0;
  while (runs < maxRuns && performance.now() - started < maxMs) {
    await op();
    runs += 1;
  }
  return { operation, microseconds: ((performance.now() - started) * 1000) / runs };
}

export async function cryptoFloor(): Promise<FloorRow[]> {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaPrivate = createPrivateKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const aesKey = randomBytes(32);
  const wrapped = publicEncrypt({ key: rsa.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(aesKey.toString('base64')));
  const header = wrapped.toString('base64');
  const kib = randomBytes(1024);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const message = randomBytes(200);
  const signature = sign('sha256', message, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });

  // Real WebAuthn responses from the software authenticator, verified again and again.
  const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
  const creation = await generateRegistrationOptions({ rpName: 'floor', rpID: 'localhost', userName: 'floor', attestationType: 'none', supportedAlgorithmIDs: [-7] });
  const attestation = authenticator.createCredential(creation, ORIGIN);
  const registration = () =>
    verifyRegistrationResponse({ response: attestation, expectedChallenge: creation.challenge, expectedOrigin: ORIGIN, expectedRPID: 'localhost', requireUserVerification: true });
  const registered = await registration();
  const credential = registered.registrationInfo!.credential;
  const request = await generateAuthenticationOptions({ rpID: 'localhost', allowCredentials: [{ id: credential.id }], userVerification: 'required' });
  const assertion = authenticator.getAssertion(request, ORIGIN);
  // One check, run by the library and by the gateway's verifier.
  const assertionCheck = {
    response: assertion,
    expectedChallenge: request.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: 'localhost',
    credential: { id: credential.id, publicKey: credential.publicKey, counter: 0 },
    requireUserVerification: true,
  };
  const attestationObject = Buffer.from(attestation.response.attestationObject, 'base64url');
  const assertions = createAssertionVerifier();

  const aesSealOpen = () => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
    const body = Buffer.concat([cipher.update(kib), cipher.final()]);
    const decipher = createDecipheriv('aes-256-gcm', aesKey, iv);
    decipher.setAuthTag(cipher.getAuthTag());
    return Buffer.concat([decipher.update(body), decipher.final()]);
  };

  return [
    await time('RSA-2048 OAEP-SHA256 unwrap (parsed KeyObject)', () => privateDecrypt({ key: rsaPrivate, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped), 2000),
    await time('SHA-256 of the X-Encrypted-Key header (cache key)', () => createHash('sha256').update(header).digest('base64')),
    await time('AES-256-GCM seal + open, 1 KiB', aesSealOpen),
    await time('HMAC-SHA256 (identifier hash)', () => createHmac('sha256', aesKey).update('scope-id-and-username').digest()),
    await time('P-256 ECDSA verify (node:crypto)', () => verify('sha256', message, { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, signature)),
    await time('ES256 sign (node:crypto)', () => sign('sha256', message, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })),
    await time('ES256 session JWT, jose SignJWT (the reference)', () => new SignJWT({ n: 1 }).setProtectedHeader({ alg: 'ES256' }).sign(ec.privateKey)),
    await time('ES256 session JWT, node:crypto (the gateway)', () => signEs256Jws({ typ: 'JWT' }, { n: 1 }, ec.privateKey)),
    // Work only the gateway does: every account gets a secp256k1 key, every attestation a strict CBOR check.
    await time('account key: HKDF + secp256k1 public key + address (libsecp256k1 addon, gateway only)', () => accountPublicKey(aesKey, randomUUID()), 2000),
    await time('strict CBOR check of an attestation object (gateway only)', () => checkAttestationObject(attestationObject)),
    await time('verifyRegistrationResponse (ES256, none)', registration, 2000),
    await time('verifyAuthenticationResponse (ES256)', () => verifyAuthenticationResponse(assertionCheck), 2000),
    // The same assertion through the gateway's verifier: same checks, node:crypto, the key parsed once.
    await time('assertion verifier (ES256, node:crypto, key cached; the gateway)', () => assertions.verify(assertionCheck), 2000),
  ];
}
