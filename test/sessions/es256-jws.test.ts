import { generateKeyPairSync } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, jwtVerify } from 'jose';
import { signEs256Jws } from '../../src/sessions/es256-jws.js';

describe('signEs256Jws', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;

  it('should produce a compact JWS that jose verifies, with the header and claims it was given', async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = signEs256Jws({ typ: 'JWT', kid: 'k1' }, { sub: 'account', aud: 'scope', iat: now, exp: now + 60, name: 'zoë ✓' }, privateKey);
    expect(jwt.split('.')).toHaveLength(3);
    expect(decodeProtectedHeader(jwt)).toStrictEqual({ typ: 'JWT', kid: 'k1', alg: 'ES256' });
    const { payload } = await jwtVerify(jwt, publicKey, { algorithms: ['ES256'], audience: 'scope' });
    expect(payload).toMatchObject({ sub: 'account', name: 'zoë ✓', exp: now + 60 });
  });

  it('should sign with the raw 64-byte r||s form, and never verify under another key or after tampering', async () => {
    const jwt = signEs256Jws({}, { n: 1 }, privateKey);
    const [header, , signature] = jwt.split('.');
    expect(Buffer.from(signature!, 'base64url')).toHaveLength(64);
    await expect(compactVerify(jwt, otherKey)).rejects.toThrow();
    const tampered = `${header}.${Buffer.from('{"n":2}').toString('base64url')}.${signature}`;
    await expect(compactVerify(tampered, publicKey)).rejects.toThrow();
  });

  it('should not let the header override the algorithm it signs with', () => {
    const jwt = signEs256Jws({ alg: 'none' }, {}, privateKey);
    expect(decodeProtectedHeader(jwt).alg).toBe('ES256');
  });
});
