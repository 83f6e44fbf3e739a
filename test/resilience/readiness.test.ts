import { startGateway, type Harness } from '../support/gateway-harness.js';

describe('GET /readyz and /healthz', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startGateway('embedded');
  });
  afterAll(() => harness.close());

  it('should be ready while both stores answer, and stay live (healthz) regardless', async () => {
    const ready = await fetch(new URL('/readyz', harness.url));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', stores: { accounts: 'ok', challenges: 'ok' } });
    // Closing the account store under the running gateway makes it unready, not dead.
    await harness.gateway.stores.backends.accounts.close();
    const unready = await fetch(new URL('/readyz', harness.url));
    expect(unready.status).toBe(503);
    expect(await unready.json()).toEqual({ status: 'unavailable', stores: { accounts: 'unavailable', challenges: 'ok' } });
    expect((await fetch(new URL('/healthz', harness.url))).status).toBe(200);
  });
});
