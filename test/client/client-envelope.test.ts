import { randomBytes } from 'node:crypto';
import { openEnvelope as serverOpen, sealEnvelope as serverSeal } from '../../src/envelope/aes-gcm-envelope.js';
import { unwrapClientKey } from '../../src/envelope/client-key.js';
import { importAesKey, openEnvelope, sealEnvelope, wrapAesKey } from '../../src/client/envelope-crypto.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';

// The browser client's WebCrypto code runs unchanged in Node 20 (globalThis.crypto).
describe('browser client envelopes against the server code', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startGateway('embedded', { DEMO: 'off' });
  });
  afterAll(() => harness.close());

  it('should wrap its AES key so that the server unwraps the same key', async () => {
    const raw = new Uint8Array(randomBytes(32));
    const header = await wrapAesKey(raw, harness.publicKey);
    expect(unwrapClientKey(header, harness.gateway.rsaKeys).key.equals(Buffer.from(raw))).toBe(true);
  });

  it('should seal envelopes the server opens, and open the server\'s', async () => {
    const raw = randomBytes(32);
    const key = await importAesKey(new Uint8Array(raw));
    for (const text of ['null', JSON.stringify({ username: 'ålice 🔑', userDisplayName: 'Ålice' }), 'x'.repeat(40_000)]) {
      expect(serverOpen(raw, await sealEnvelope(key, text))).toBe(text);
      expect(await openEnvelope(key, serverSeal(raw, text))).toBe(text);
    }
  });

  it('should refuse an envelope sealed with another key or tampered with', async () => {
    const key = await importAesKey(new Uint8Array(randomBytes(32)));
    expect(await openEnvelope(key, serverSeal(randomBytes(32), 'secret'))).toBeNull();
    const sealed = Buffer.from(await sealEnvelope(key, 'secret'), 'base64');
    sealed[20]! ^= 1;
    expect(await openEnvelope(key, sealed.toString('base64'))).toBeNull();
    expect(await openEnvelope(key, 'not base64!')).toBeNull();
  });
});
