import { secp256k1 } from '@noble/curves/secp256k1.js';
import { accountPublicKey, addressOf, deriveAccountSecretKey } from '../../src/identity/account-key.js';

describe('account keys', () => {
  const master = Buffer.alloc(32, 7);

  // Known answers: an account's key and address must never change, whatever computes the HKDF.
  it('should keep deriving the same secret key, public key and address for known inputs', () => {
    expect(Buffer.from(deriveAccountSecretKey(master, 'account-a')).toString('hex')).toBe('e655f63a4beae8c5841d10744bc3da0eec11272e15ce5df5dec6cdbc08bed657');
    expect(accountPublicKey(master, 'account-a')).toStrictEqual({
      publicKey: '02d348f63207a0a57934d89c5ea4e1120ea1fea2499bd65b1a669837ba3285b41d',
      address: '0x422ea7981f69cfbe1488c452941579bfde74bbb2',
    });
    const otherMaster = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
    expect(accountPublicKey(otherMaster, '4f1d2a6e-8b3c-4d5e-9f60-718293a4b5c6')).toStrictEqual({
      publicKey: '03c607a46858e9dfb780ab04757c5cb1769bb8a084c064c76a76658bdae5b824f3',
      address: '0x957000cd91fdfbe20a73e3cc0f9487f7937bc3e7',
    });
  });

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
