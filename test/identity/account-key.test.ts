import { hkdfSync } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import fc from 'fast-check';
import { accountPublicKey, accountPublicKeyOf, addressOf, deriveAccountSecretKey } from '../../src/identity/account-key.js';

const ORDER = secp256k1.Point.CURVE().n;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const scalarBytes = (scalar: bigint) => Buffer.from(scalar.toString(16).padStart(64, '0'), 'hex');

/** What the gateway computed with @noble/curves alone: the reference the native path must equal. */
function nobleAccountKey(secretKey: Uint8Array) {
  const uncompressed = secp256k1.getPublicKey(secretKey, false);
  return { publicKey: hex(secp256k1.getPublicKey(secretKey, true)), address: `0x${hex(keccak_256(uncompressed.subarray(1)).subarray(12))}` };
}

/** The derivation as it was, step for step: HKDF-SHA256 to 48 bytes, then noble's reduction. */
function nobleSecretKey(masterSecret: Uint8Array, accountId: string): Uint8Array {
  const seed = hkdfSync('sha256', masterSecret, new TextEncoder().encode('passkey-gateway/account-key/v1'), Buffer.from(accountId, 'utf8'), 48);
  return secp256k1.utils.randomSecretKey(new Uint8Array(seed));
}

// Secret keys over the whole range, with its ends and the scalars just around 2^255 and 2^248 (a
// leading zero byte) weighted in, where a fixed-width encoding would go wrong first.
const secretKeys = fc
  .oneof(
    { arbitrary: fc.bigInt({ min: 1n, max: ORDER - 1n }), weight: 4 },
    fc.constantFrom(1n, 2n, 3n, ORDER - 1n, ORDER - 2n, ORDER / 2n, ORDER / 2n + 1n, 2n ** 255n, 2n ** 248n - 1n, 2n ** 248n),
    fc.bigInt({ min: 1n, max: 2n ** 248n - 1n }),
  )
  .map(scalarBytes);

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

  describe('against @noble/curves, which computed them before', () => {
    it('should give the public key and address noble gives, for any secret key', () => {
      fc.assert(
        fc.property(secretKeys, (secretKey) => {
          expect(accountPublicKeyOf(secretKey)).toStrictEqual(nobleAccountKey(secretKey));
        }),
        { numRuns: 300 },
      );
    });

    it('should derive the secret key the old HKDF and reduction give, for any master secret and account id', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 32, maxLength: 64 }), fc.oneof(fc.uuid(), fc.string({ unit: 'grapheme', maxLength: 40 })), (master, accountId) => {
          const secretKey = deriveAccountSecretKey(master, accountId);
          expect(hex(secretKey)).toBe(hex(nobleSecretKey(master, accountId)));
          expect(accountPublicKey(master, accountId)).toStrictEqual(nobleAccountKey(secretKey));
        }),
      );
    });

    it('should encode secret keys with leading zero bytes at full width, as noble does', () => {
      // About 1 account id in 256 gets a secret key below 2^248: scan enough ids to meet several.
      let leadingZero = 0;
      for (let i = 0; i < 2048; i += 1) {
        const expected = nobleSecretKey(master, `account-${i}`);
        if (expected[0] === 0) leadingZero += 1;
        expect(hex(deriveAccountSecretKey(master, `account-${i}`))).toBe(hex(expected));
      }
      expect(leadingZero).toBeGreaterThan(0);
    });

    it('should refuse secret keys out of range, as noble does', () => {
      for (const scalar of [0n, ORDER, ORDER + 1n, 2n ** 256n - 1n]) {
        expect(() => secp256k1.getPublicKey(scalarBytes(scalar))).toThrow();
        expect(() => accountPublicKeyOf(scalarBytes(scalar))).toThrow();
      }
    });

    it('should give one address for a key in either SEC1 form, the one accountPublicKey gives', () => {
      fc.assert(
        fc.property(secretKeys, (secretKey) => {
          const { publicKey, address } = accountPublicKeyOf(secretKey);
          expect(addressOf(Buffer.from(publicKey, 'hex'))).toBe(address);
          expect(addressOf(secp256k1.getPublicKey(secretKey, false))).toBe(address);
          expect(addressOf(secp256k1.Point.fromHex(publicKey).toBytes(false))).toBe(address);
        }),
      );
    });

    it('should take exactly the public keys noble takes: on the curve, compressed or uncompressed', () => {
      const nobleTakes = (bytes: Uint8Array) => {
        try {
          secp256k1.Point.fromBytes(bytes);
          return true;
        } catch {
          return false;
        }
      };
      const candidates = fc.oneof(
        // Random x: about half are on the curve.
        fc.tuple(fc.constantFrom(2, 3), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([prefix, x]) => Uint8Array.of(prefix, ...x)),
        fc.uint8Array({ minLength: 65, maxLength: 65 }).map((bytes) => Uint8Array.of(4, ...bytes.subarray(1))),
        // Valid points in the hybrid form (06 or 07 by the parity of y), which libsecp256k1 parses and noble does not.
        secretKeys.map((secretKey) => {
          const point = secp256k1.getPublicKey(secretKey, false);
          return Uint8Array.of(0x06 | (point[64]! & 1), ...point.subarray(1));
        }),
        // Valid points with the wrong length or prefix.
        secretKeys.map((secretKey) => secp256k1.getPublicKey(secretKey, true).subarray(0, 32)),
        secretKeys.map((secretKey) => Uint8Array.of(4, ...secp256k1.getPublicKey(secretKey, true).subarray(1))),
        fc.uint8Array({ maxLength: 70 }),
      );
      fc.assert(
        fc.property(candidates, (bytes) => {
          if (nobleTakes(bytes)) expect(addressOf(bytes)).toBe(`0x${hex(keccak_256(secp256k1.Point.fromBytes(bytes).toBytes(false).subarray(1)).subarray(12))}`);
          else expect(() => addressOf(bytes)).toThrow();
        }),
        { numRuns: 500 },
      );
    });
  });
});
