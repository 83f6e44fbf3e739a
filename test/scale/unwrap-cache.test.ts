// The RSA unwrap of X-Encrypted-Key is paid once per distinct header, never across key rings.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { wrapKey } from '../../scripts/lib/rpc-client.js';
import { unwrapClientKey } from '../../src/envelope/client-key.js';
import { UnwrapCache, unwrapCacheStats } from '../../src/envelope/unwrap-cache.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { rsaKeyFromPem, type RsaKeyRing } from '../../src/keys/rsa-key-ring.js';

function ring(): RsaKeyRing {
  const key = rsaKeyFromPem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  return { current: key, all: [key] };
}

describe('unwrap cache', () => {
  const mine = ring();
  const other = ring();

  test('a repeated header is answered from the cache with the same key', () => {
    const aesKey = randomBytes(32);
    const header = wrapKey(aesKey, mine.current.publicKeySpki);
    const before = unwrapCacheStats();
    const first = unwrapClientKey(header, mine);
    const second = unwrapClientKey(header, mine);
    const after = unwrapCacheStats();
    expect(first.key.equals(aesKey)).toBe(true);
    expect(second).toBe(first);
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(1);
  });

  test('a header cached for one key ring is not accepted by another', () => {
    const header = wrapKey(randomBytes(32), mine.current.publicKeySpki);
    unwrapClientKey(header, mine);
    expect(() => unwrapClientKey(header, other)).toThrow(GatewayError);
  });

  test('failures are not cached: a bad header fails every time', () => {
    const header = wrapKey(randomBytes(32), other.current.publicKeySpki);
    const before = unwrapCacheStats();
    for (let i = 0; i < 3; i += 1) expect(() => unwrapClientKey(header, mine)).toThrow(GatewayError);
    expect(unwrapCacheStats().misses - before.misses).toBe(3);
  });

  test('the cache is bounded: the least recently used header is forgotten', () => {
    const cache = new UnwrapCache<{ n: number }>({ max: 2 });
    let computed = 0;
    const get = (header: string) => cache.getOrUnwrap(header, () => ({ n: (computed += 1) }));
    get('a');
    get('b');
    get('a');
    get('c'); // evicts b
    expect(cache.size).toBe(2);
    get('a');
    expect(computed).toBe(3);
    get('b');
    expect(computed).toBe(4);
  });
});
