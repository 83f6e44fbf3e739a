// The RSA unwrap of X-Encrypted-Key is paid once per distinct header, never across key rings.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { wrapKey } from '../../scripts/lib/rpc-client.js';
import type { ClientKeyChannel, SharedClientKey } from '../../src/cluster/cluster-channel.js';
import { createClientKeys } from '../../src/envelope/client-key.js';
import { UnwrapCache } from '../../src/envelope/unwrap-cache.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { rsaKeyFromPem, type RsaKeyRing } from '../../src/keys/rsa-key-ring.js';

function pem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function ring(keyPem = pem()): RsaKeyRing {
  const key = rsaKeyFromPem(keyPem);
  return { current: key, all: [key] };
}

/** The pipes between cluster workers, in memory: what one publishes, every other member receives. */
function siblings(count: number): ClientKeyChannel[] {
  const listeners = new Map<number, (message: SharedClientKey) => void>();
  return Array.from({ length: count }, (_, me) => ({
    publish: (message) => {
      for (const [member, listener] of listeners) if (member !== me) listener(structuredClone(message));
    },
    subscribe: (listener) => {
      listeners.set(me, listener);
      return () => listeners.delete(me);
    },
  }));
}

describe('unwrap cache', () => {
  const mine = ring();
  const other = ring();

  test('a repeated header is answered from the cache with the same key', () => {
    const keys = createClientKeys(mine);
    const aesKey = randomBytes(32);
    const header = wrapKey(aesKey, mine.current.publicKeySpki);
    const before = keys.stats();
    const first = keys.unwrap(header);
    const second = keys.unwrap(header);
    const after = keys.stats();
    expect(first.key.equals(aesKey)).toBe(true);
    expect(second).toBe(first);
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(1);
  });

  test('a header cached for one key ring is not accepted by another', () => {
    const header = wrapKey(randomBytes(32), mine.current.publicKeySpki);
    createClientKeys(mine).unwrap(header);
    expect(() => createClientKeys(other).unwrap(header)).toThrow(GatewayError);
  });

  test('two gateways on one key ring in one process share nothing by accident', () => {
    const [first, second] = [createClientKeys(mine), createClientKeys(mine)];
    const header = wrapKey(randomBytes(32), mine.current.publicKeySpki);
    first.unwrap(header);
    second.unwrap(header);
    expect([first.stats().misses, second.stats().misses]).toEqual([1, 1]);
  });

  test('a failure is remembered briefly: a bad header fails every time, for one decryption', () => {
    const keys = createClientKeys(mine);
    const header = wrapKey(randomBytes(32), other.current.publicKeySpki);
    const before = keys.stats();
    for (let i = 0; i < 3; i += 1) expect(() => keys.unwrap(header)).toThrow(GatewayError);
    expect(keys.stats().misses - before.misses).toBe(1);
    expect(keys.stats().failureHits - before.failureHits).toBe(2);
  });

  test('remembered failures are bounded and expire', async () => {
    const cache = new UnwrapCache<{ n: number }>({ maxFailures: 2, failureTtlMs: 50 });
    let attempts = 0;
    const fail = (header: string) => () =>
      cache.getOrUnwrap(header, () => {
        attempts += 1;
        throw new GatewayError('envelope_invalid', `bad ${header}`);
      });
    for (const header of ['a', 'b', 'c', 'a']) expect(fail(header)).toThrow(GatewayError);
    expect(attempts).toBe(4); // 'a' was pushed out by 'c'
    expect(fail('c')).toThrow(GatewayError);
    expect(attempts).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(fail('c')).toThrow(GatewayError);
    expect(attempts).toBe(5);
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

  describe('shared between worker processes', () => {
    test('a key one worker unwrapped is used by its siblings without another RSA decryption', () => {
      const keyPem = pem();
      const [toA, toB, toC] = siblings(3);
      const [a, b, c] = [createClientKeys(ring(keyPem), { channel: toA! }), createClientKeys(ring(keyPem), { channel: toB! }), createClientKeys(ring(keyPem), { channel: toC! })];
      const aesKey = randomBytes(32);
      const header = wrapKey(aesKey, rsaKeyFromPem(keyPem).publicKeySpki);
      const misses = () => a.stats().misses + b.stats().misses + c.stats().misses;
      const hits = () => a.stats().hits + b.stats().hits + c.stats().hits;
      const first = a.unwrap(header);
      const onB = b.unwrap(header);
      const onC = c.unwrap(header);
      expect(misses()).toBe(1);
      expect(hits()).toBe(2);
      expect(onB.key.equals(aesKey)).toBe(true);
      expect(onC).toStrictEqual(first);
      for (const keys of [a, b, c]) keys.close();
    });

    test('a worker holding other RSA keys adopts nothing, so its own keys still decide', () => {
      const [mineRing, strangerRing] = [ring(), ring()];
      const [toA, toStranger] = siblings(2);
      const [a, stranger] = [createClientKeys(mineRing, { channel: toA! }), createClientKeys(strangerRing, { channel: toStranger! })];
      const header = wrapKey(randomBytes(32), mineRing.current.publicKeySpki);
      a.unwrap(header);
      expect(() => stranger.unwrap(header)).toThrow(GatewayError);
      for (const keys of [a, stranger]) keys.close();
    });

    test('a closed member no longer adopts what its siblings unwrap', () => {
      const keyPem = pem();
      const [toA, toB] = siblings(2);
      const [a, b] = [createClientKeys(ring(keyPem), { channel: toA! }), createClientKeys(ring(keyPem), { channel: toB! })];
      b.close();
      const header = wrapKey(randomBytes(32), rsaKeyFromPem(keyPem).publicKeySpki);
      a.unwrap(header);
      b.unwrap(header);
      expect(b.stats().misses).toBe(1);
      a.close();
    });
  });
});
