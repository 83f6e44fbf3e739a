import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { openEnvelope, sealEnvelope } from '../../src/envelope/aes-gcm-envelope.js';
import { unwrapClientKey } from '../../src/envelope/client-key.js';
import { decodeStrictBase64 } from '../../src/envelope/strict-base64.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { rsaKeyFromPem, type RsaKeyRing } from '../../src/keys/rsa-key-ring.js';
import { open, seal, wrapKey } from '../../scripts/lib/rpc-client.js';

function ring(...pems: string[]): RsaKeyRing {
  const keys = pems.map(rsaKeyFromPem);
  return { current: keys[0]!, all: keys };
}
const pem = (bits = 2048) => generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function expectEnvelopeInvalid(run: () => unknown) {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(GatewayError);
  expect((caught as GatewayError).reason).toBe('envelope_invalid');
  // One opaque message whatever went wrong.
  expect((caught as GatewayError).message).toBe('Encrypted payload could not be opened');
}

describe('AES-GCM envelope', () => {
  const key = randomBytes(32);

  it('should open what a client sealed and the other way round', () => {
    expect(openEnvelope(key, seal(key, '{"username":"ünï"}'))).toBe('{"username":"ünï"}');
    expect(open(key, sealEnvelope(key, 'null'))).toBe('null');
  });

  it('should use a fresh IV for every seal', () => {
    expect(sealEnvelope(key, 'same')).not.toBe(sealEnvelope(key, 'same'));
  });

  it('should refuse a tampered ciphertext, IV or tag', () => {
    const bytes = Buffer.from(seal(key, 'hello world'), 'base64');
    for (const index of [0, 11, 12, bytes.length - 17, bytes.length - 1]) {
      const copy = Buffer.from(bytes);
      copy[index] = copy[index]! ^ 0x01;
      expectEnvelopeInvalid(() => openEnvelope(key, copy.toString('base64')));
    }
  });

  it('should refuse truncation, a short IV and an empty envelope', () => {
    const bytes = Buffer.from(seal(key, 'hello world'), 'base64');
    expectEnvelopeInvalid(() => openEnvelope(key, bytes.subarray(0, bytes.length - 1).toString('base64')));
    expectEnvelopeInvalid(() => openEnvelope(key, bytes.subarray(0, 20).toString('base64')));
    expectEnvelopeInvalid(() => openEnvelope(key, bytes.subarray(0, 28).toString('base64')));
    expectEnvelopeInvalid(() => openEnvelope(key, ''));
  });

  it('should refuse bad base64', () => {
    const good = seal(key, 'hello world!'); // 40 bytes: padded base64
    expect(good.endsWith('==')).toBe(true);
    expectEnvelopeInvalid(() => openEnvelope(key, `${good}!`));
    expectEnvelopeInvalid(() => openEnvelope(key, good.replace(/=+$/, '')));
    expectEnvelopeInvalid(() => openEnvelope(key, good.replaceAll('+', '-').replaceAll('/', '_') + ' '));
    expectEnvelopeInvalid(() => openEnvelope(key, `${good.slice(0, 8)}\n${good.slice(8)}`));
    expectEnvelopeInvalid(() => openEnvelope(key, ` ${good}`));
  });

  it('should decode only canonical, padded, standard base64', () => {
    const bytes = randomBytes(40);
    for (const length of [1, 2, 3, 40]) {
      const text = bytes.subarray(0, length).toString('base64');
      expect(decodeStrictBase64(text)).toStrictEqual(bytes.subarray(0, length));
    }
    expect(decodeStrictBase64('')).toBeNull();
    expect(decodeStrictBase64('QQ')).toBeNull(); // padding missing
    expect(decodeStrictBase64('QR==')).toBeNull(); // same byte as QQ==, with stray bits set
    expect(decodeStrictBase64('QQ==QQ==')).toBeNull();
    expect(decodeStrictBase64('-_8=')).toBeNull(); // base64url alphabet
    expect(decodeStrictBase64('+/8=')).toStrictEqual(Buffer.from([0xfb, 0xff]));
  });

  it('should refuse an envelope sealed under another key', () => {
    expectEnvelopeInvalid(() => openEnvelope(key, seal(randomBytes(32), 'hello world')));
  });

  it('should treat a wrong key length as a programming error', () => {
    expect(() => openEnvelope(randomBytes(16), seal(key, 'x'))).toThrow(TypeError);
    expect(() => sealEnvelope(randomBytes(31), 'x')).toThrow(TypeError);
  });
});

describe('X-Encrypted-Key unwrap', () => {
  const current = pem();
  const previous = pem();
  const keys = ring(current, previous);
  const aesKey = randomBytes(32);

  it('should unwrap the base64 text of the AES key, as the SDK sends it', () => {
    const unwrapped = unwrapClientKey(wrapKey(aesKey, keys.current.publicKeySpki), keys);
    expect(unwrapped.key.equals(aesKey)).toBe(true);
    // The RFC 7638 thumbprint of the AES key as an oct JWK, computed here independently.
    const jwk = `{"k":"${aesKey.toString('base64url')}","kty":"oct"}`;
    expect(unwrapped.thumbprint).toBe(createHash('sha256').update(jwk).digest('base64url'));
  });

  it('should also accept the raw 32 bytes', () => {
    expect(unwrapClientKey(wrapKey(aesKey, keys.current.publicKeySpki, 'raw'), keys).key.equals(aesKey)).toBe(true);
  });

  it('should accept a key wrapped for a previous RSA key, so keys rotate without breaking clients', () => {
    expect(unwrapClientKey(wrapKey(aesKey, keys.all[1]!.publicKeySpki), keys).key.equals(aesKey)).toBe(true);
  });

  it('should refuse a key wrapped for an unknown RSA key', () => {
    const stranger = rsaKeyFromPem(pem());
    expectEnvelopeInvalid(() => unwrapClientKey(wrapKey(aesKey, stranger.publicKeySpki), keys));
  });

  it('should refuse a missing header, bad base64, a wrong length and a wrong AES key length', () => {
    const wrapped = wrapKey(aesKey, keys.current.publicKeySpki);
    expectEnvelopeInvalid(() => unwrapClientKey(undefined, keys));
    expectEnvelopeInvalid(() => unwrapClientKey('not base64!', keys));
    expectEnvelopeInvalid(() => unwrapClientKey(Buffer.from(wrapped, 'base64').subarray(1).toString('base64'), keys));
    expectEnvelopeInvalid(() => unwrapClientKey(wrapKey(randomBytes(16), keys.current.publicKeySpki, 'raw'), keys));
    expectEnvelopeInvalid(() => unwrapClientKey(wrapKey(randomBytes(20), keys.current.publicKeySpki), keys));
  });

  it('should parse the key once into a KeyObject', () => {
    expect(keys.current.privateKey.type).toBe('private');
    expect(keys.current.modulusBytes).toBe(256);
  });
});
