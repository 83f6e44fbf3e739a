// A test run leaves nothing behind: a gateway harness on Redis and PostgreSQL removes its key
// prefix and its schema when it closes, including keys that would otherwise wait for a TTL.
import { Redis } from 'ioredis';
import pg from 'pg';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { databaseUrl, describeWithRedisAndPostgres, redisUrl } from '../support/backends.js';
import { register, sessionCall, signIn } from '../support/ceremonies.js';
import { startGateway } from '../support/gateway-harness.js';

describeWithRedisAndPostgres('gateway harness clean-up', () => {
  test('closing drops the schema and every key under the prefix, revoked sessions included', async () => {
    const harness = await startGateway('redis+postgres');
    const prefix = harness.env.REDIS_KEY_PREFIX!;
    const schema = harness.env.DATABASE_SCHEMA!;
    const redis = new Redis(redisUrl);
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const scope = await harness.createScope();
      const client = new RpcClient(harness.url, scope.scope_id, harness.publicKey);
      const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
      await register(client, authenticator, 'cleanup-user');
      const session = await signIn(client, authenticator, 'cleanup-user');
      expect((await sessionCall(client, session, 'logout')).result).toEqual({ revoked: true });
      expect(await redis.keys(`${prefix}*`)).not.toHaveLength(0);

      await harness.close();

      expect(await redis.keys(`${prefix}*`)).toEqual([]);
      const schemas = await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      expect(schemas.rowCount).toBe(0);
    } finally {
      await redis.quit();
      await db.end();
    }
  });
});
