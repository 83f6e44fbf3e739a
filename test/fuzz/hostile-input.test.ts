import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { RpcClient } from '../../scripts/lib/rpc-client.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { describeForBackends } from '../support/backends.js';
import { register, sessionCall, signIn } from '../support/ceremonies.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';
import { newTally, prepareFixture, runPlan, type RunnerFixture } from '../../scripts/lib/hostile/hostile-runner.js';
import { hostilePlans } from '../../scripts/lib/hostile/hostile-requests.js';

/** Requests per run on the embedded stores, and the slice replayed on Redis + PostgreSQL. */
const REQUESTS = { embedded: 10_000, 'redis+postgres': 1_000 } as const;
/** In flight at once, over keep-alive connections. */
const CONCURRENCY = 8;
const WARM_UP_REQUESTS = 1_000;
/** Heap growth allowed across the measured run, after a full GC on both sides (gateway and client share this process). */
const HEAP_GROWTH_BOUND = 32 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

describeForBackends('hostile input through the real endpoint', (backend) => {
  let harness: Harness;
  let fx: RunnerFixture;

  beforeAll(async () => {
    // Rate limits off: every request here comes from one loopback address, and the expected
    // reasons are those of the input, not of its volume.
    harness = await startGateway(backend, { RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_USER_PER_MINUTE: '0' });
    const scopeA = (await harness.createScope()).scope_id;
    const scopeB = (await harness.createScope({ name: 'other' })).scope_id;
    fx = await prepareFixture({ url: harness.url, publicKey: harness.publicKey, scopeA, scopeB, origin: TEST_ORIGIN });
  });
  afterAll(() => harness.close());

  it(`should answer ${REQUESTS[backend]} generated hostile requests with well-formed errors, no 5xx, no hang, bounded memory`, async () => {
    const tally = newTally();
    const fuzz = (requests: number) =>
      fc.assert(
        // Each property run sends CONCURRENCY plans at once, so N/CONCURRENCY runs cover N requests.
        fc.asyncProperty(fc.array(hostilePlans(fx), { minLength: CONCURRENCY, maxLength: CONCURRENCY }), async (plans) => {
          await Promise.all(plans.map((plan) => runPlan(fx, plan, tally)));
        }),
        {
          numRuns: Math.ceil(requests / CONCURRENCY),
          endOnFailure: true,
          // The counterexample can be megabytes of header; the seed, path and failing request say enough.
          reporter: (run) => {
            if (run.failed) throw new Error(`seed ${run.seed}, path ${run.counterexamplePath}: ${run.errorInstance instanceof Error ? run.errorInstance.message : String(run.errorInstance)}`);
          },
        },
      );
    // A warm-up first: the first thousand requests load code paths (JIT, lazily built schemas,
    // connection pools) worth ~100 MiB of heap once; growth after that would be a leak.
    await fuzz(WARM_UP_REQUESTS);
    const heapBefore = heapAfterGc();
    const started = Date.now();
    await fuzz(REQUESTS[backend]);
    const heapGrowth = heapAfterGc() - heapBefore;
    if (process.env.FUZZ_REPORT === '1') {
      console.log(JSON.stringify({ backend, ...tally, seconds: (Date.now() - started) / 1000, heapGrowthMiB: Math.round(heapGrowth / 2 ** 20) }));
    }

    expect(tally.requests).toBeGreaterThanOrEqual(WARM_UP_REQUESTS + REQUESTS[backend]);
    expect(Object.keys(tally.byStatus).filter((status) => Number(status) >= 500)).toEqual([]);
    // A connection lost now and then (a kept-alive socket closed as a request went out) is the
    // transport's; a gateway that drops connections on some inputs would lose far more than this.
    expect(tally.resent).toBeLessThanOrEqual(Math.ceil(tally.requests / 500));
    expect(heapGrowth).toBeLessThan(HEAP_GROWTH_BOUND);

    // Still serving: the health check and a whole valid ceremony.
    expect((await fetch(`${harness.url}/healthz`)).status).toBe(200);
    const client = new RpcClient(harness.url, fx.client.scopeId, harness.publicKey, TEST_ORIGIN);
    const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
    const username = `after-fuzz-${randomUUID()}`;
    await register(client, authenticator, username);
    const session = await signIn(client, authenticator, username);
    expect((await sessionCall(client, session, 'getAccount')).result).toMatchObject({ username });
  }, 180_000);
});
