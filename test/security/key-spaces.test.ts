/**
 * Key spaces that cannot meet: no value a client sends as a challenge id can name a key of another
 * purpose (finding 1 and 2 of the session review, as a property rather than two inputs).
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { challengeIdSchema } from '../../src/ceremony/challenge-state.js';
import { redisKeyPurposes, redisKeySpace } from '../../src/stores/redis-keys.js';
import { describeForBackends } from '../support/backends.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';

/** Strings a client might send: random text, UUIDs, and keys (or parts of keys) of every purpose. */
const candidateIds = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.uuid(),
  fc.uuid().map((uuid) => uuid.toUpperCase()),
  fc.tuple(fc.constantFrom('revoked-session:', 'ratelimit:ip:', 'ratelimit:user:', 'challenge:', 'pkgw:', '../', ''), fc.uuid(), fc.string({ maxLength: 20 })).map(
    ([purpose, uuid, tail]) => `${purpose}${uuid}${tail}`,
  ),
);
const prefixes = fc.oneof(fc.constant('pkgw:'), fc.string({ maxLength: 20 }));

describe('Redis key spaces', () => {
  test('every challenge id the gateway accepts names a challenge key, never a key of another purpose', () => {
    fc.assert(
      fc.property(prefixes, candidateIds, (prefix, id) => {
        const parsed = challengeIdSchema.safeParse(id);
        if (!parsed.success) return;
        const keys = redisKeySpace(prefix);
        const key = keys.namespace('challenge') + parsed.data;
        // Accepted ids are UUIDs, so the key is the challenge namespace and 36 characters of UUID.
        expect(parsed.data).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
        for (const purpose of redisKeyPurposes) {
          if (purpose !== 'challenge') expect(key.startsWith(keys.namespace(purpose))).toBe(false);
        }
      }),
      { numRuns: 5000 },
    );
  });

  test('no purpose\'s namespace is a prefix of another\'s, whatever the deployment prefix', () => {
    fc.assert(
      fc.property(prefixes, (prefix) => {
        const keys = redisKeySpace(prefix);
        for (const a of redisKeyPurposes) {
          for (const b of redisKeyPurposes) {
            if (a !== b) expect(keys.namespace(a).startsWith(keys.namespace(b))).toBe(false);
          }
        }
      }),
    );
  });
});

describeForBackends('challenge ids through the real endpoint', (backend) => {
  let harness: Harness;
  let client: RpcClient;
  beforeAll(async () => {
    harness = await startGateway(backend, { RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_USER_PER_MINUTE: '0' });
    client = new RpcClient(harness.url, (await harness.createScope()).scope_id, harness.publicKey);
  });
  afterAll(() => harness.close());

  test('a generated id that is not a UUID is invalid_params; a UUID the gateway did not make is challenge_not_found', async () => {
    const ids = fc.sample(candidateIds, { numRuns: 60, seed: 14 });
    for (const id of [...ids, randomUUID()]) {
      const reply = await client.call('completeAuthentication', { challenge_id: id, encrypted_assertion: client.seal({}) });
      expect(reply.error?.data).toBe(challengeIdSchema.safeParse(id).success ? 'challenge_not_found' : 'invalid_params');
    }
  });
});
