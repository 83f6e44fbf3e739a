import { z } from 'zod';
import type { RsaKeyRing } from '../keys/rsa-key-ring.js';
import { publicMethod } from '../rpc/rpc-method.js';

export const getEncryptionKeyResult = z.object({
  public_key: z.string().describe('base64 of the RSA public key SubjectPublicKeyInfo DER (the SDK\'s enclavePublicKey)'),
  algorithm: z.literal('RSA-OAEP-256'),
  key_id: z.string(),
});

export function getEncryptionKey(deps: { rsaKeys: RsaKeyRing }) {
  return publicMethod({
    name: 'getEncryptionKey',
    summary: 'The RSA public key clients wrap their AES key with',
    description: 'Needs no scope and no envelope.',
    params: z.union([z.object({}).strict(), z.array(z.never()).max(0)]),
    result: getEncryptionKeyResult,
    handler() {
      const { current } = deps.rsaKeys;
      return { public_key: current.publicKeySpki, algorithm: 'RSA-OAEP-256' as const, key_id: current.keyId };
    },
  });
}
