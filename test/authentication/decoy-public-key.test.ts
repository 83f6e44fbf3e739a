import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { createDecoyPublicKey } from '../../src/authentication/decoy-credentials.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';

const ORIGIN = 'http://localhost:8788';

describe('decoy public key for passkeys a named user does not have', () => {
  it('should be a key @simplewebauthn verifies against, so the signature check really runs, and never verify', async () => {
    const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
    const creation = await generateRegistrationOptions({ rpName: 'decoy', rpID: 'localhost', userName: 'decoy', attestationType: 'none' });
    const attestation = authenticator.createCredential(creation, ORIGIN);
    const registered = await verifyRegistrationResponse({ response: attestation, expectedChallenge: creation.challenge, expectedOrigin: ORIGIN, expectedRPID: 'localhost' });
    const credential = registered.registrationInfo!.credential;
    const request = await generateAuthenticationOptions({ rpID: 'localhost', allowCredentials: [{ id: credential.id }] });
    const assertion = authenticator.getAssertion(request, ORIGIN);
    const options = { response: assertion, expectedChallenge: request.challenge, expectedOrigin: ORIGIN, expectedRPID: 'localhost' };

    // The same assertion verifies against the real key: only the key differs below.
    await expect(verifyAuthenticationResponse({ ...options, credential: { id: credential.id, publicKey: credential.publicKey, counter: 0 } })).resolves.toMatchObject({ verified: true });
    // Not thrown while reading the key (which would skip the signature check): checked, and false.
    await expect(verifyAuthenticationResponse({ ...options, credential: { id: credential.id, publicKey: createDecoyPublicKey(), counter: 0 } })).resolves.toMatchObject({ verified: false });
  });
});
