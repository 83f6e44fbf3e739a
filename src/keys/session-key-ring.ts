import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { writeSecretFileOnce } from './secret-file.js';

export interface SessionKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Public JWK as published in the JWKS. */
  jwk: JWK;
}

/** The key that signs new sessions, and the previous ones still accepted for verification. */
export interface SessionKeyRing {
  current: SessionKey;
  all: SessionKey[];
  byKid: Map<string, SessionKey>;
}

async function sessionKeyFromPem(pem: string, file: string): Promise<SessionKey> {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`session key file ${file} must hold a P-256 private key`);
  }
  const publicKey = createPublicKey(privateKey);
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' }) as JWK;
  const base = { kty, crv, x, y } as JWK;
  const kid = await calculateJwkThumbprint(base, 'sha256');
  return { kid, privateKey, publicKey, jwk: { ...base, kid, alg: 'ES256', use: 'sig' } };
}

/** Loads the P-256 session key from `keyFile`, generating it there (mode 0600) on first start. */
export async function loadSessionKeyRing(options: { keyFile: string; previousKeyFiles: string[] }): Promise<SessionKeyRing> {
  const pem = await writeSecretFileOnce(options.keyFile, () =>
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  const current = await sessionKeyFromPem(pem, options.keyFile);
  const previous = await Promise.all(options.previousKeyFiles.map(async (file) => sessionKeyFromPem(await readFile(file, 'utf8'), file)));
  const all = [current, ...previous.filter((key) => key.kid !== current.kid)];
  return { current, all, byKid: new Map(all.map((key) => [key.kid, key])) };
}
