import { randomUUID } from 'node:crypto';
import { decode, encode } from 'cborg';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { checkAttestationObject } from '../../src/ceremony/strict-cbor.js';
import { initiateAuthentication, initiateRegistration, register } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import { match } from '../support/match.js';

const bytesOf = (b64url: string) => new Uint8Array(Buffer.from(b64url, 'base64url'));
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const concat = (...parts: ArrayLike<number>[]) => Uint8Array.from(parts.flatMap((part) => Array.from(part)));
const text = (value: string) => encode(value);

/** Ways to re-encode a valid attestation object that lenient CBOR parsers still accept. */
const attestationMutations: [string, (cbor: Uint8Array) => Uint8Array][] = [
  ['trailing bytes', (cbor) => concat(cbor, [0x00])],
  ['an indefinite-length map', (cbor) => concat([0xbf], cbor.subarray(1), [0xff])],
  ['a duplicate map key', (cbor) => concat([0xa4], cbor.subarray(1), text('fmt'), text('none'))],
  [
    'nesting deeper than the format needs',
    (cbor) => {
      const map = decode(cbor, { useMaps: true }) as Map<string, unknown>;
      map.set('attStmt', new Map([['x5c', [[new Uint8Array(4)]]]]));
      return encode(map);
    },
  ],
  [
    'trailing bytes inside authData',
    (cbor) => {
      const map = decode(cbor, { useMaps: true }) as Map<string, unknown>;
      map.set('authData', concat(map.get('authData') as Uint8Array, [0xf6]));
      return encode(map);
    },
  ],
  [
    'an indefinite-length credential public key',
    (cbor) => {
      const map = decode(cbor, { useMaps: true }) as Map<string, unknown>;
      const authData = map.get('authData') as Uint8Array;
      const keyAt = 37 + 16 + 2 + ((authData[53]! << 8) | authData[54]!);
      map.set('authData', concat(authData.subarray(0, keyAt), [0xbf], authData.subarray(keyAt + 1), [0xff]));
      return encode(map);
    },
  ],
];

describe('strict CBOR before verification', () => {
  let harness: Harness;
  let scopeId: string;
  const newClient = () => new RpcClient(harness.url, scopeId, harness.publicKey, TEST_ORIGIN);

  beforeAll(async () => {
    harness = await startGateway('embedded', { RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_USER_PER_MINUTE: '0' });
    scopeId = (await harness.createScope()).scope_id;
  });
  afterAll(() => harness.close());

  it.each(attestationMutations)('should refuse an attestation object with %s as invalid_params', async (_name, mutate) => {
    const client = newClient();
    const started = await initiateRegistration(client, `cbor-${randomUUID()}`);
    const attestation = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' }).createCredential(started.options, TEST_ORIGIN);
    const mutated = { ...attestation, response: { ...attestation.response, attestationObject: b64url(mutate(bytesOf(attestation.response.attestationObject))) } };

    const reply = await client.call('completeRegistration', { challenge_id: started.challengeId, encrypted_attestation: client.seal(mutated), encrypted_user: started.encryptedUser });
    expect(reply.error).toEqual({ code: -32602, message: 'Invalid params', data: 'invalid_params' });
  });

  it('should refuse an assertion whose authenticatorData carries trailing bytes as invalid_params', async () => {
    const client = newClient();
    const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
    const username = `cbor-${randomUUID()}`;
    await register(client, authenticator, username);
    const started = await initiateAuthentication(client, username);
    const assertion = authenticator.getAssertion(started.options, TEST_ORIGIN);
    const authenticatorData = b64url(concat(bytesOf(assertion.response.authenticatorData), [0xa0]));
    const mutated = { ...assertion, response: { ...assertion.response, authenticatorData } };

    const reply = await client.call('completeAuthentication', { challenge_id: started.challengeId, encrypted_assertion: client.seal(mutated), encrypted_user: started.encryptedUser });
    expect(reply.error?.data).toBe('invalid_params');
  });

  it('should accept the deepest shape a real attestation statement has (packed with an x5c chain)', () => {
    const authData = concat(new Uint8Array(32), [0x05], [0, 0, 0, 1]);
    const attestationObject = encode(new Map<string, unknown>([
      ['fmt', 'packed'],
      ['attStmt', new Map<string, unknown>([['alg', -7], ['sig', new Uint8Array(70)], ['x5c', [new Uint8Array(300), new Uint8Array(300)]]])],
      ['authData', authData],
    ]));
    expect(checkAttestationObject(attestationObject)).toEqual({ ok: true });
  });

  /** A valid attestation object (fmt none, no credential) whose attStmt holds one key and value, as raw CBOR. */
  const withStatementEntry = (entry: number[]) =>
    concat([0xa3], encode('fmt'), encode('none'), encode('attStmt'), [0xa1], entry, encode('authData'), encode(concat(new Uint8Array(32), [0x01], [0, 0, 0, 0])));

  it('should accept the attestation object those cases are built on', () => {
    expect(checkAttestationObject(withStatementEntry([...encode('x'), 0x00]))).toEqual({ ok: true });
  });

  it.each([
    ['a byte string as a map key', [0x41, 0x61, 0x00], /neither text nor an integer/],
    ['text that is not UTF-8', [...encode('x'), 0x62, 0xff, 0xfe], /UTF-8/],
    ['a tag', [...encode('x'), 0xc1, 0x00], /tag/],
    ['undefined', [...encode('x'), 0xf7], /undefined/],
    ['arrays nested deeper than x5c', [...encode('x5c'), 0x81, 0x81, 0x40], /deeper/],
    ['nesting far deeper than the decoder can follow', [...encode('x'), ...new Array<number>(20_000).fill(0x81), 0x00], /call stack/],
  ])('should refuse an attestation statement holding %s', (_name, entry, reason) => {
    expect(checkAttestationObject(withStatementEntry(entry))).toEqual({ ok: false, reason: match.stringMatching(reason) });
  });

  it('should refuse a credential public key holding a byte string key twice', () => {
    // Map keys are compared by value: two equal byte strings are one key used twice.
    const coseKey = [0xa2, 0x41, 0x61, 0x00, 0x41, 0x61, 0x01];
    const authData = concat(new Uint8Array(32), [0x45], [0, 0, 0, 0], new Uint8Array(16), [0, 16], new Uint8Array(16), coseKey);
    expect(checkAttestationObject(encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]])))).toEqual({
      ok: false,
      reason: match.stringMatching(/neither text nor an integer/),
    });
  });

  it('should accept the Firefox 117 EdDSA key encoding that verification itself tolerates', () => {
    const badEdDsaKey = Buffer.from('a301634f4b500327206745643235353139', 'hex');
    const authData = concat(new Uint8Array(32), [0x45], [0, 0, 0, 0], new Uint8Array(16), [0, 16], new Uint8Array(16), badEdDsaKey, [0x21, 0x58, 0x20], new Uint8Array(32));
    const attestationObject = encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    expect(checkAttestationObject(attestationObject)).toEqual({ ok: true });
  });
});
