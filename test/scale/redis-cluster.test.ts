// REDIS_CLUSTER_NODES: the challenge store (challenges and session revocations) on a real
// three-master Redis Cluster, started here from the redis-server binary and stopped afterwards.
import { randomUUID } from 'node:crypto';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { RedisChallengeStore } from '../../src/stores/redis-challenge-store.js';
import { createRedisClusterClient } from '../../src/stores/redis-clients.js';
import { runChallengeStoreContract } from '../stores/challenge-store.contract.js';
import { register, sessionCall, signIn } from '../support/ceremonies.js';
import { startGateway } from '../support/gateway-harness.js';
import { findBinary, startLocalRedisCluster, type LocalRedisCluster } from './local-redis-cluster.js';

const binariesPresent = findBinary('redis-server') !== null && findBinary('redis-cli') !== null;
if (!binariesPresent) {
  if (process.env.CI === 'true') throw new Error('redis-server and redis-cli are required in CI for the Redis Cluster tests');
  console.warn('\n*** SKIPPING the Redis Cluster tests: redis-server or redis-cli is not on PATH (they run, and are required, in CI). ***\n');
}
const describeWithRedisBinaries: jest.Describe = binariesPresent ? describe : describe.skip;

describeWithRedisBinaries('on a local three-master Redis Cluster', () => {
  let cluster: LocalRedisCluster;
  const prefix = `pkgw-test:${randomUUID()}:`;
  let storeCount = 0;

  beforeAll(async () => {
    cluster = await startLocalRedisCluster();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  runChallengeStoreContract('RedisChallengeStore (Cluster)', () => {
    storeCount += 1;
    const store = new RedisChallengeStore({ redis: createRedisClusterClient(cluster.nodes.map((node) => `redis://${node}`)), keyPrefix: `${prefix}${storeCount}:` });
    return Promise.resolve({ store, cleanup: () => store.close() });
  });

  test('keys of many ids spread over the masters, and each is consumed exactly once', async () => {
    const redis = createRedisClusterClient(cluster.nodes.map((node) => `redis://${node}`));
    const store = new RedisChallengeStore({ redis, keyPrefix: `${prefix}spread:` });
    try {
      const ids = Array.from({ length: 30 }, () => randomUUID());
      await Promise.all(ids.map((id) => store.put(id, id, 30_000)));
      const counts = await Promise.all(redis.nodes('master').map((node) => node.dbsize()));
      expect(counts.filter((count) => count > 0).length).toBeGreaterThan(1);
      expect(await Promise.all(ids.map((id) => store.consume(id)))).toEqual(ids);
      expect(await Promise.all(ids.map((id) => store.consume(id)))).toEqual(ids.map(() => null));
    } finally {
      await store.close();
    }
  });

  test('a whole registration, sign-in and sign-out through a gateway with REDIS_CLUSTER_NODES', async () => {
    const harness = await startGateway('embedded', { REDIS_CLUSTER_NODES: cluster.nodes.join(','), REDIS_KEY_PREFIX: `${prefix}gateway:` });
    try {
      expect(harness.gateway.stores.describe.challenges).toMatch(/^redis cluster/);
      const scope = await harness.createScope();
      const client = new RpcClient(harness.url, scope.scope_id, harness.publicKey);
      const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
      await register(client, authenticator, 'cluster-user');
      const session = await signIn(client, authenticator, 'cluster-user');
      expect((await sessionCall(client, session, 'getAccount')).result).toMatchObject({ username: 'cluster-user' });
      // The revocation lives in the cluster too.
      expect((await sessionCall(client, session, 'logout')).result).toEqual({ revoked: true });
      expect((await sessionCall(client, session, 'getAccount')).error?.data).toBe('session_invalid');
    } finally {
      await harness.close();
    }
  });
});
