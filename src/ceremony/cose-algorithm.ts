import { cose, decodeCredentialPublicKey } from '@simplewebauthn/server/helpers';

/** The COSE `alg` of a verified credential public key (e.g. -7 ES256, -8 EdDSA, -257 RS256). */
export function coseAlgorithm(publicKey: Uint8Array): number {
  const alg = decodeCredentialPublicKey(publicKey as Parameters<typeof decodeCredentialPublicKey>[0]).get(cose.COSEKEYS.alg);
  if (typeof alg !== 'number') throw new Error('credential public key has no alg');
  return alg;
}
