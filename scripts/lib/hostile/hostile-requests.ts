/**
 * fast-check arbitraries for hostile requests to the gateway's one endpoint. A plan is either a
 * ready HTTP request or a scenario the runner plays out (a fresh challenge, then a bad completion).
 * Each plan states what a correct gateway may answer, so the runner checks more than "no 5xx".
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { limits } from '../../../src/domain/limits.js';
import { seal, type RpcClient } from '../rpc-client.js';

export const METHODS = [
  'getEncryptionKey', 'getJwks', 'verify', 'initiateRegistration', 'completeRegistration', 'initiateAuthentication',
  'completeAuthentication', 'getAccount', 'listCredentials', 'renameCredential', 'deleteCredential', 'logout',
] as const;
const PARAM_NAMES = ['encrypted_user', 'encrypted_attestation', 'encrypted_assertion', 'challenge_id', 'credential_id', 'name', 'jwt', 'regenerate_seed'];
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

/**
 * The only JSON-RPC error reasons a plan may get. The HTTP status is not listed: the runner derives
 * it from the request itself (header sizes, method, content type, body size), as the HTTP rules say.
 */
export interface Expectation {
  reasons?: string[];
}

export interface HttpPlan {
  kind: 'http';
  family: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  expect: Expectation;
}

/** Needs live state: a challenge made just before the hostile completion. */
export interface ScenarioPlan {
  kind: 'scenario';
  family: string;
  scenario: 'registration-client-data' | 'authentication-client-data' | 'replayed-challenge' | 'cross-scope-challenge' | 'other-key-challenge' | 'wrong-kind-challenge';
  clientData: { type?: string; origin?: string; challenge?: string };
}

export type Plan = HttpPlan | ScenarioPlan;

/** What the arbitraries need from a running gateway: two scopes, clients with keys, a signed-in user. */
export interface FuzzFixture {
  url: string;
  /** Scope A's client, the one whose session and envelopes are valid. */
  client: RpcClient;
  /** Same scope, another AES key. */
  otherClient: RpcClient;
  /** Scope B. */
  foreignClient: RpcClient;
  /** `client`'s sealed session for a registered user. */
  session: string;
  username: string;
}

const ANY_ERROR: Expectation = {};

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Strings a parser might choke on: huge, unicode, control characters, lone surrogates. */
function hostileString(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.constantFrom('\u0000', '\ud800', '\udfff\ud800', '\u202e', 'ﬀ'.repeat(300), 'İ'.repeat(200), '🧨'.repeat(300), ' \t\n '),
    fc.tuple(fc.constantFrom('a', 'é', '🧨', '=', '/', '+'), fc.integer({ min: 1_000, max: 30_000 })).map(([c, n]) => c.repeat(n)),
  );
}

/** Strings that look like base64 but are not what the strict decoder accepts. */
function badBase64(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 80 }).map((bytes) => b64(bytes).replace(/=+$/, '')), // padding dropped
    fc.uint8Array({ minLength: 1, maxLength: 80 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
    fc.uint8Array({ minLength: 4, maxLength: 80 }).map((bytes) => `${b64(bytes).slice(0, 5)} ${b64(bytes).slice(5)}`),
    fc.uint8Array({ minLength: 4, maxLength: 80 }).map((bytes) => `${b64(bytes)}!`),
    fc.constantFrom('', '=', '====', 'A', 'AA=', 'AAA', '@@@@', 'Zm9v\n', '%%%%'),
  );
}

function hostileValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: hostileString() },
    { weight: 2, arbitrary: badBase64() },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom(null, true, 0, -1, 1e308, [], {}, [[[[[]]]]]) },
    { weight: 1, arbitrary: fc.uuid() },
  );
}

/** Envelope attacks against a valid envelope: each one must end as the same `envelope_invalid`. */
export type EnvelopeMutation = 'truncate-text' | 'truncate-bytes' | 'reorder' | 'bit-flip' | 'wrong-key' | 'other-client-key' | 'extend' | 'iv-only';

function mutateEnvelope(fx: FuzzFixture, plaintext: string, mutation: EnvelopeMutation, at: number, bit: number): string {
  const envelope = fx.client.seal(JSON.parse(plaintext));
  const bytes = Buffer.from(envelope, 'base64');
  const pos = at % bytes.length;
  switch (mutation) {
    case 'truncate-text':
      return envelope.slice(0, Math.max(1, at % envelope.length));
    case 'truncate-bytes':
      return bytes.subarray(0, pos).toString('base64') || 'AAAA';
    case 'reorder': {
      // Tag first, then IV and ciphertext: every byte present, in the wrong order.
      const cut = Math.max(1, pos);
      return Buffer.concat([bytes.subarray(cut), bytes.subarray(0, cut)]).toString('base64');
    }
    case 'bit-flip': {
      const copy = Buffer.from(bytes);
      copy[pos] = copy[pos]! ^ (1 << (bit % 8));
      return copy.toString('base64');
    }
    case 'wrong-key':
      return seal(randomBytes(32), plaintext);
    case 'other-client-key':
      return fx.otherClient.seal(JSON.parse(plaintext));
    case 'extend':
      return Buffer.concat([bytes, Buffer.from([at & 0xff])]).toString('base64');
    case 'iv-only':
      return bytes.subarray(0, 12 + 16).toString('base64');
  }
}

export function hostilePlans(fx: FuzzFixture): fc.Arbitrary<Plan> {
  const scoped = (extra: Record<string, string | undefined> = {}) => fx.client.headers(extra);
  const someHeaders = fc.oneof(
    fc.constant<Record<string, string>>({ 'content-type': 'application/json' }),
    fc.constant(scoped()),
    fc.constant(scoped({ 'x-encrypted-session': fx.session })),
    fc.constant(fx.foreignClient.headers()),
    fc.record({ 'x-scope-id': fc.oneof(fc.uuid(), hostileString().map((s) => s.slice(0, 200).replace(/[^\x20-\x7e]/g, ''))) }).map((h) => ({ ...scoped(), ...h })),
  );
  const post = (family: string, headers: Record<string, string>, body: string, expect: Expectation = ANY_ERROR): HttpPlan => ({ kind: 'http', family, method: 'POST', headers, body, expect });
  const call = (method: string, params: unknown, id: unknown = 1) => ({ jsonrpc: '2.0', id, method, params });

  const malformedJson = fc
    .tuple(
      someHeaders,
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.jsonValue({ maxDepth: 3 }).chain((v) => {
          const text = JSON.stringify(v) ?? 'null';
          return fc.nat({ max: text.length }).map((n) => text.slice(0, n));
        }),
        fc.constantFrom('{', '[', '{"jsonrpc":"2.0","id":1,"method":"getAccount"', '[{}', '{"a":}', '\ufeff{}', 'nul', '1e999999', '"\\ud800"', `${'['.repeat(5000)}`),
      ),
    )
    .map(([headers, body]) => post('malformed-json', headers, body));

  const malformedJsonRpc = fc
    .tuple(
      someHeaders,
      fc.record(
        {
          jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('1.0'), fc.constant(2), fc.constant(null)),
          id: fc.oneof(fc.integer(), fc.string({ maxLength: 10 }), fc.constant(null), fc.constant({}), fc.constant([1]), fc.double()),
          method: fc.oneof(fc.constantFrom(...METHODS), fc.constantFrom(...PROTOTYPE_NAMES), hostileString(), fc.integer(), fc.constant(null)),
          params: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant('params')),
        },
        { requiredKeys: [] },
      ),
      fc.oneof(fc.constant(false), fc.constant(true)),
    )
    .map(([headers, request, asJsonValue]) => post('malformed-json-rpc', headers, asJsonValue ? JSON.stringify([request]) : JSON.stringify(request)));

  // Batches of anything: arrays, scalars and nulls among the calls (jayson once hung on `[[…]]`).
  const oddBatch = fc
    .tuple(someHeaders, fc.array(fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }), fc.constant({ jsonrpc: '2.0', id: 1, method: 'getJwks' })), { minLength: 1, maxLength: limits.batchLength }))
    .map(([headers, entries]) => post('odd-batch', headers, JSON.stringify(entries)));

  const wrongParams = fc
    .tuple(
      someHeaders,
      fc.constantFrom(...METHODS),
      fc.oneof(
        fc.dictionary(fc.constantFrom(...PARAM_NAMES, ...PROTOTYPE_NAMES), hostileValue(), { maxKeys: 4 }),
        fc.array(hostileValue(), { maxLength: 3 }),
        hostileValue(),
      ),
    )
    .map(([headers, method, params]) => post('wrong-params', headers, JSON.stringify(call(method, params))));

  const sealedJunk = fc
    .tuple(
      fc.constantFrom('initiateRegistration', 'completeRegistration', 'initiateAuthentication', 'completeAuthentication'),
      fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ username: hostileValue(), userDisplayName: hostileValue() }), fc.record({ id: hostileValue(), rawId: hostileValue(), type: fc.constant('public-key'), response: fc.dictionary(fc.constantFrom('clientDataJSON', 'attestationObject', 'authenticatorData', 'signature', 'userHandle'), fc.oneof(badBase64(), hostileValue())) })),
      fc.uuid(),
    )
    .map(([method, plaintext, challengeId]) => {
      const sealed = fx.client.seal(plaintext);
      const params = { challenge_id: challengeId, encrypted_user: sealed, encrypted_attestation: sealed, encrypted_assertion: sealed };
      return post('sealed-junk', scoped(), JSON.stringify(call(method, params)));
    });

  const mutation = fc.constantFrom<EnvelopeMutation>('truncate-text', 'truncate-bytes', 'reorder', 'bit-flip', 'wrong-key', 'other-client-key', 'extend', 'iv-only');
  const envelopeAttack = fc
    .tuple(mutation, fc.nat(), fc.nat(), fc.constantFrom('params', 'user-header', 'key-header'), fc.oneof(fc.constant(fx.username), hostileString().map((s) => s.slice(0, 100))))
    .map(([how, at, bit, where, username]) => {
      const plaintext = JSON.stringify({ username, userDisplayName: username });
      const bad = mutateEnvelope(fx, plaintext, how, at, bit);
      const expect: Expectation = { reasons: ['envelope_invalid'] };
      if (where === 'params') return post(`envelope-${how}`, scoped(), JSON.stringify(call('initiateRegistration', { encrypted_user: bad })), expect);
      if (where === 'user-header') return post(`envelope-${how}`, scoped({ 'x-encrypted-user': bad }), JSON.stringify(call('initiateAuthentication', {})), expect);
      // The key header itself: truncated, flipped or reordered RSA ciphertexts, or another gateway's.
      const wrapped = Buffer.from(fx.client.encryptedKey, 'base64');
      const flipped = Buffer.from(wrapped);
      flipped[at % flipped.length] = flipped[at % flipped.length]! ^ (1 << (bit % 8));
      const keyHeader = { 'truncate-text': fx.client.encryptedKey.slice(0, 1 + (at % 300)), 'truncate-bytes': b64(wrapped.subarray(0, at % wrapped.length)) || 'AA==', reorder: b64(Buffer.concat([wrapped.subarray(1), wrapped.subarray(0, 1)])), 'bit-flip': b64(flipped), 'wrong-key': b64(randomBytes(256)), 'other-client-key': b64(randomBytes(384)), extend: b64(Buffer.concat([wrapped, Buffer.from([1])])), 'iv-only': b64(randomBytes(32)) }[how];
      return post(`key-header-${how}`, scoped({ 'x-encrypted-key': keyHeader }), JSON.stringify(call('initiateRegistration', { encrypted_user: fx.client.seal(JSON.parse(plaintext)) })), expect);
    });

  const sessionAttack = fc
    .tuple(mutation, fc.nat(), fc.nat(), fc.constantFrom('getAccount', 'listCredentials', 'renameCredential', 'deleteCredential', 'logout'))
    .map(([how, at, bit, method]) => {
      const bytes = Buffer.from(fx.session, 'base64');
      const flipped = Buffer.from(bytes);
      flipped[at % bytes.length] = flipped[at % bytes.length]! ^ (1 << (bit % 8));
      const session = { 'bit-flip': b64(flipped), 'truncate-text': fx.session.slice(0, at % fx.session.length) || 'A', 'truncate-bytes': b64(bytes.subarray(0, at % bytes.length)) || 'AA==', reorder: b64(Buffer.concat([bytes.subarray(12), bytes.subarray(0, 12)])), 'wrong-key': b64(randomBytes(bytes.length)), 'other-client-key': fx.session, extend: b64(Buffer.concat([bytes, bytes])), 'iv-only': b64(bytes.subarray(0, 28)) }[how];
      // The same session from another client key is as invalid as a forged one.
      const client = how === 'other-client-key' ? fx.otherClient : fx.client;
      return post(`session-${how}`, client.headers({ 'x-encrypted-session': session }), JSON.stringify(call(method, { credential_id: 'AAAA', name: 'x' })), { reasons: ['session_invalid'] });
    });

  const oversizedHeader = fc
    .tuple(fc.constantFrom('x-encrypted-session', 'x-encrypted-user', 'x-encrypted-key', 'x-scope-id', 'origin', 'x-padding'), fc.integer({ min: limits.headerValueChars + 1, max: limits.headerBytes + 4096 }))
    .map(([name, length]) => post('oversized-header', scoped({ [name]: 'A'.repeat(length) }), JSON.stringify(call('getAccount', {}))));
  const manyHeaders = fc
    .integer({ min: 3, max: 6 })
    .map((count) => {
      const padding = Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-padding-${i}`, 'B'.repeat(limits.headerValueChars - 16)]));
      return post('oversized-headers-total', scoped(padding), JSON.stringify(call('getAccount', {})));
    });

  const batchCall = fc.tuple(fc.constantFrom(...METHODS), hostileValue(), fc.option(fc.integer(), { nil: undefined })).map(([method, params, id]) => (id === undefined ? { jsonrpc: '2.0', method, params } : call(method, params, id)));
  const oversizedBatch = fc
    .array(batchCall, { minLength: limits.batchLength + 1, maxLength: limits.batchLength + 30 })
    .map((calls) => post('oversized-batch', scoped(), JSON.stringify(calls), { reasons: ['batch_too_large'] }));
  const batch = fc.array(batchCall, { minLength: 1, maxLength: limits.batchLength }).map((calls) => post('batch', scoped(), JSON.stringify(calls).slice(0, limits.bodyBytes)));

  const httpRules = fc.oneof(
    fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH').map((method): HttpPlan => ({ kind: 'http', family: 'wrong-http-method', method, headers: scoped(), body: '', expect: ANY_ERROR })),
    fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'json').map((type) => post('wrong-content-type', scoped({ 'content-type': type }), JSON.stringify(call('getEncryptionKey', {})))),
    fc.integer({ min: limits.bodyBytes + 1, max: limits.bodyBytes * 2 }).map((size) => post('oversized-body', scoped(), `{"jsonrpc":"2.0","id":1,"method":"getAccount","params":{"x":"${'x'.repeat(size)}"}}`)),
  );

  const scenario = fc
    .tuple(
      fc.constantFrom<ScenarioPlan['scenario']>('registration-client-data', 'authentication-client-data', 'replayed-challenge', 'cross-scope-challenge', 'other-key-challenge', 'wrong-kind-challenge'),
      fc.oneof(
        fc.constantFrom('webauthn.get', 'webauthn.create', 'payment.get', '').map((type) => ({ type })),
        fc.constantFrom('https://evil.example', 'http://localhost:8789', 'http://localhost', 'null', 'HTTP://LOCALHOST:8788').map((origin) => ({ origin })),
        fc.uint8Array({ minLength: 0, maxLength: 64 }).map((bytes) => ({ challenge: Buffer.from(bytes).toString('base64url') })),
      ),
    )
    .map(([name, clientData]): ScenarioPlan => ({ kind: 'scenario', family: `scenario-${name}`, scenario: name, clientData }));

  return fc.oneof(
    { weight: 3, arbitrary: malformedJson },
    { weight: 3, arbitrary: malformedJsonRpc },
    { weight: 1, arbitrary: oddBatch },
    { weight: 5, arbitrary: wrongParams },
    { weight: 3, arbitrary: sealedJunk },
    { weight: 5, arbitrary: envelopeAttack },
    { weight: 2, arbitrary: sessionAttack },
    { weight: 1, arbitrary: oversizedHeader },
    { weight: 1, arbitrary: manyHeaders },
    { weight: 1, arbitrary: oversizedBatch },
    { weight: 2, arbitrary: batch },
    { weight: 1, arbitrary: httpRules },
    { weight: 1, arbitrary: scenario },
  );
}
