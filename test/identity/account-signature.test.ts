import { recoverAddress, serializeSignature, type Hex } from 'viem';
import { sign } from 'viem/accounts';
import { accountPublicKey, deriveAccountSecretKey } from '../../src/identity/account-key.js';
import { signWithAccountKey, toRsvSignature } from '../../src/identity/account-signature.js';

/**
 * Known answers for signatures by the account keys: libsecp256k1 signs deterministically (RFC 6979,
 * low s), so each (master secret, account id, digest) has one signature, written down here and made
 * again by viem (@noble/curves, another implementation); each recovers to the address the account's
 * sessions carry.
 */
const SECRETS = {
  random32: 'a93f5b0180ec27f7af9242dc7dd8a85086764e88c369fd990469aba46c473371',
  sevens: '0707070707070707070707070707070707070707070707070707070707070707',
} as const;
const ZEROS = `0x${'00'.repeat(32)}`;
const HELLO = '0x50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750'; // EIP-191 digest of "hello"
const EMPTY = '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'; // keccak-256 of nothing

const VECTORS: ReadonlyArray<readonly [keyof typeof SECRETS, string, string, string]> = [
  ['random32', 'e7eb29ad-75ad-4904-ac74-207ce6792ed6', ZEROS, '0xaede2b2410f180483ec4f0da3eb47f7204b08c426314d55dc5ac6dbea2f2fbb039d4049de7141effa0bfe8d636b3d6f589997bf1a7cceee39b537abb62afb6791b'],
  ['random32', 'e7eb29ad-75ad-4904-ac74-207ce6792ed6', HELLO, '0x1a7fbcf96f0852636fff3a8c9f194678e9c11a1829bead581631840f82b80232651bc20c5fb56fd1708d38881b935a09d028131ad0c2d876d7ab443fd57d8c5d1c'],
  ['random32', 'e7eb29ad-75ad-4904-ac74-207ce6792ed6', EMPTY, '0xff846ee49971912f3aaba65a8d91bf14ea3e0ca446c12843b957341e881955244c68f22a2373d38f490fcd548308680f6e69b23d0277230b6dcc6fee5044f32a1c'],
  ['random32', 'a22edcb3-e53c-4295-a976-34f9b4c02d77', ZEROS, '0xb34c788abe4b731a477bd83cc1da21be1a176bf1483cf0bb55dd134be156e065568d637c26a76fd54778296985dde2b9c71f62bd7fa69ff9fd7e21062287f8181c'],
  ['random32', 'a22edcb3-e53c-4295-a976-34f9b4c02d77', HELLO, '0xf60d577d433b9f2305eb54ba4fac29a58c671ec63dc8337fe03d1dfbfcd5cde416ffa869495315e09b5200029373154c995495ec01eb934d42fbf35279b768c91b'],
  ['random32', 'a22edcb3-e53c-4295-a976-34f9b4c02d77', EMPTY, '0x9b78251e5af0e87aa4b9a20881ac1370aec840a94829fd4d134a1ab4677d567c5cc074f514d6d308b86e8dbb257864d0451094f285df1e96436e76de705834781c'],
  ['sevens', '8f6b2036-aaa1-43d8-a574-f33bd1f2b3c9', ZEROS, '0xa5f7e0fedcefc324fce7071e04962a813e1e29e692d49389465bcecd17d0d8f57fefb6eb90489b644d07ed29549ba619c7b07af05af15afe9bfb0ee80da994691b'],
  ['sevens', '8f6b2036-aaa1-43d8-a574-f33bd1f2b3c9', HELLO, '0xc21c6c5af1748c304500b307db8cca7e9ed80f24eb18a594705967136c1f1d6d5d3c233aba0337d3cf9a24f5e68077643fcf5c36ddec3676d1b3c7dc2eb7cf5a1b'],
  ['sevens', '8f6b2036-aaa1-43d8-a574-f33bd1f2b3c9', EMPTY, '0xc8966a9b798f52fc30dd52f2eee7dcd385625cc6542618ad328cdde0312ea47020fe5137d8693860168676c6499c8eea7834dbadab82f065d8fcba2fb3f8439b1c'],
];

describe('account key signatures', () => {
  it.each(VECTORS)('should sign as written down and as viem does (%s, %s, %s)', async (secretName, accountId, digest, expected) => {
    const secret = Buffer.from(SECRETS[secretName], 'hex');
    const signature = toRsvSignature(signWithAccountKey(secret, accountId, Buffer.from(digest.slice(2), 'hex')));
    expect(signature).toBe(expected);
    const privateKey: Hex = `0x${Buffer.from(deriveAccountSecretKey(secret, accountId)).toString('hex')}`;
    expect(serializeSignature(await sign({ hash: digest as Hex, privateKey }))).toBe(expected);
    expect((await recoverAddress({ hash: digest as Hex, signature: signature as `0x${string}` })).toLowerCase()).toBe(accountPublicKey(secret, accountId).address);
  });

  it('should refuse a digest that is not 32 bytes', () => {
    expect(() => signWithAccountKey(Buffer.alloc(32), 'a', new Uint8Array(31))).toThrow(TypeError);
  });
});
