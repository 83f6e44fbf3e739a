import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeSecretFileOnce } from './secret-file.js';

export interface RsaKey {
  privateKey: KeyObject;
  /** base64 of the SubjectPublicKeyInfo DER, as the SDK's `enclavePublicKey` expects. */
  publicKeySpki: string;
  keyId: string;
  modulusBytes: number;
}

/** The current RSA key and previous ones kept so clients holding an old public key keep working. */
export interface RsaKeyRing {
  current: RsaKey;
  all: RsaKey[];
}

export function rsaKeyFromPem(pem: string): RsaKey {
  // Parsed once: handing PEM text to every privateDecrypt call would make each unwrap ~3x slower.
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('RSA key file does not hold an RSA private key');
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const modulusLength = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  return {
    privateKey,
    publicKeySpki: spki.toString('base64'),
    keyId: createHash('sha256').update(spki).digest('base64url').slice(0, 16),
    modulusBytes: Math.ceil(modulusLength / 8),
  };
}

/** Loads the current key from `privateKeyFile`, generating it there (mode 0600) on first start. */
export async function loadRsaKeyRing(options: {
  privateKeyFile: string;
  previousKeyFiles: string[];
  bits: 2048 | 3072 | 4096;
}): Promise<RsaKeyRing> {
  const pem = await writeSecretFileOnce(options.privateKeyFile, () =>
    generateKeyPairSync('rsa', { modulusLength: options.bits }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  const current = rsaKeyFromPem(pem);
  const previous = await Promise.all(options.previousKeyFiles.map(async (file) => rsaKeyFromPem(await readFile(file, 'utf8'))));
  return { current, all: [current, ...previous.filter((key) => key.keyId !== current.keyId)] };
}
