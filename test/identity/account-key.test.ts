import { secp256k1 } from '@noble/curves/secp256k1.js';
import { accountPublicKey, addressOf, deriveAccountSecretKey } from '../../src/identity/account-key.js';

describe('account keys', () => {
  const master = Buffer.alloc(32, 7);

  it('should derive the same key for the same account and a different one per account or master secret', () => {
    const a = accountPublicKey(master, 'account-a');
    expect(accountPublicKey(master, 'account-a')).toEqual(a);
    expect(accountPublicKey(master, 'account-b').publicKey).not.toBe(a.publicKey);
    expect(accountPublicKey(Buffer.alloc(32, 8), 'account-a').publicKey).not.toBe(a.publicKey);
  });

  it('should give a compressed public key of 66 hex characters without 0x, matching the derived secret key', () => {
    const { publicKey } = accountPublicKey(master, 'account-a');
    expect(publicKey).toMatch(/^0[23][0-9a-f]{64}$/);
    expect(Buffer.from(secp256k1.getPublicKey(deriveAccountSecretKey(master, 'account-a'), true)).toString('hex')).toBe(publicKey);
  });

  it('should give, for 20 account ids, exactly what deriving the compressed key and then its address gives', () => {
    for (let i = 0; i < 20; i += 1) {
      const accountId = `account-${i}`;
      const compressed = secp256k1.getPublicKey(deriveAccountSecretKey(master, accountId), true);
      expect(accountPublicKey(master, accountId)).toStrictEqual({
        publicKey: Buffer.from(compressed).toString('hex'),
        address: addressOf(compressed),
      });
    }
  });

  it('should compute Ethereum addresses as keccak-256 of the uncompressed point, last 20 bytes', () => {
    // Well-known vector: the secret key 1 controls 0x7e5f4552091a69125d5dfcb7b8c2659029395bdf.
    const one = new Uint8Array(32);
    one[31] = 1;
    expect(addressOf(secp256k1.getPublicKey(one, true))).toBe('0x7e5f4552091a69125d5dfcb7b8c2659029395bdf');
    expect(addressOf(secp256k1.getPublicKey(one, false))).toBe('0x7e5f4552091a69125d5dfcb7b8c2659029395bdf');
  });
});
