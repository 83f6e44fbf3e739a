import { describeWithPostgres } from '../support/backends.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { PrivateRedis } from './private-redis.js';
import { attemptRegistration, eventually, readyStatus, type Attempt } from './traffic.js';

const BOUND_MS = 2000;
const SLACK_MS = 1500;

describeWithPostgres('Redis going away and coming back under traffic', () => {
  let redis: PrivateRedis;
  let harness: Harness;
  let scopeId: string;

  beforeAll(async () => {
    redis = new PrivateRedis();
    await redis.start();
    harness = await startGateway('redis+postgres', { REDIS_URL: redis.url, SERVICE_TIMEOUT_MS: String(BOUND_MS) });
    scopeId = (await harness.createScope()).scope_id;
  }, 30_000);
  afterAll(async () => {
    await harness.close();
    await redis.dispose();
  });

  it('should fail within the bound with service_unavailable while Redis is down, reconnect when it restarts, and lose no registration', async () => {
    const completed: string[] = [];
    const run = async (count: number): Promise<Attempt[]> => {
      const attempts: Attempt[] = [];
      for (let i = 0; i < count; i += 2) attempts.push(...(await Promise.all([attemptRegistration(harness, scopeId), attemptRegistration(harness, scopeId)])));
      for (const attempt of attempts) if (attempt.accountId !== undefined) completed.push(attempt.accountId);
      return attempts;
    };

    expect((await run(4)).map((a) => a.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(await readyStatus(harness)).toBe(200);

    // Killed while traffic flows: what was in flight may succeed or fail, never hang.
    const inFlight = run(4);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await redis.stop();
    for (const attempt of await inFlight) expect(attempt.ms).toBeLessThan(2 * BOUND_MS + SLACK_MS);

    const during = await run(4);
    for (const attempt of during) {
      expect(attempt.outcome).toBe('service_unavailable');
      expect(attempt.ms).toBeLessThan(BOUND_MS + SLACK_MS);
    }
    expect(await readyStatus(harness)).toBe(503);

    await redis.start();
    expect(await eventually(async () => (await readyStatus(harness)) === 200, 15_000)).toBe(true);
    expect((await run(4)).map((a) => a.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);

    // Accounts live in PostgreSQL: every registration that completed is there with its passkey.
    expect(completed.length).toBeGreaterThanOrEqual(8);
    for (const accountId of completed) {
      await expect(harness.gateway.stores.accounts.getAccount(accountId)).resolves.toMatchObject({ account_id: accountId });
      expect(await harness.gateway.stores.accounts.listCredentials(accountId)).toHaveLength(1);
    }
  }, 90_000);
});
