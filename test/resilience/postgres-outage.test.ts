import pg from 'pg';
import { databaseUrl, describeWithPostgres, describeWithRedis } from '../support/backends.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { TcpFaultProxy } from './tcp-fault-proxy.js';
import { attemptRegistration, eventually, readyStatus, type Attempt } from './traffic.js';

const BOUND_MS = 2000;
// The bound plus scheduling slack on a shared two-core machine.
const SLACK_MS = 1500;

describeWithPostgres('PostgreSQL dropping, refusing and stalling connections under traffic', () => {
  describeWithRedis('', () => {
    let proxy: TcpFaultProxy;
    let harness: Harness;
    let scopeId: string;
    const completed: string[] = [];

    beforeAll(async () => {
      const target = new URL(databaseUrl);
      proxy = new TcpFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
      await proxy.start();
      target.host = `127.0.0.1:${proxy.port}`;
      harness = await startGateway('redis+postgres', { DATABASE_URL: target.toString(), SERVICE_TIMEOUT_MS: String(BOUND_MS) });
      scopeId = (await harness.createScope()).scope_id;
    }, 30_000);
    afterAll(async () => {
      proxy.setMode('pass');
      await harness.close();
      await proxy.close();
    });

    async function traffic(count: number): Promise<Attempt[]> {
      const attempts: Attempt[] = [];
      // Two clients at a time, so requests are in flight when the network breaks.
      for (let i = 0; i < count; i += 2) {
        attempts.push(...(await Promise.all([attemptRegistration(harness, scopeId), attemptRegistration(harness, scopeId)])));
      }
      for (const attempt of attempts) if (attempt.accountId !== undefined) completed.push(attempt.accountId);
      return attempts;
    }

    async function recovers(): Promise<void> {
      proxy.setMode('pass');
      expect(await eventually(async () => (await attemptRegistration(harness, scopeId)).outcome === 'ok', 15_000)).toBe(true);
      expect(await readyStatus(harness)).toBe(200);
      expect((await traffic(4)).map((a) => a.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
    }

    for (const mode of ['drop', 'stall'] as const) {
      it(`should answer service_unavailable within the bound while connections ${mode}, then recover by itself`, async () => {
        expect((await traffic(4)).map((a) => a.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
        proxy.setMode(mode);
        const during = await traffic(4);
        for (const attempt of during) {
          expect(attempt.outcome).toBe('service_unavailable');
          // Each registration makes at most a few store calls before the first one fails.
          expect(attempt.ms).toBeLessThan(BOUND_MS + SLACK_MS);
        }
        expect(await readyStatus(harness)).toBe(503);
        await recovers();
      }, 60_000);
    }

    it('should have kept every completed registration, and no account without its passkey', async () => {
      expect(completed.length).toBeGreaterThanOrEqual(16);
      for (const accountId of completed) {
        await expect(harness.gateway.stores.accounts.getAccount(accountId)).resolves.toMatchObject({ account_id: accountId });
        expect(await harness.gateway.stores.accounts.listCredentials(accountId)).toHaveLength(1);
      }
      const direct = new pg.Client({ connectionString: databaseUrl });
      await direct.connect();
      try {
        const schema = harness.env.DATABASE_SCHEMA;
        const orphans = await direct.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${schema}".accounts a WHERE NOT EXISTS (SELECT 1 FROM "${schema}".credentials c WHERE c.account_id = a.account_id)`,
        );
        expect(orphans.rows[0]!.n).toBe(0);
      } finally {
        await direct.end();
      }
    });
  });
});
