import { execFileSync } from 'node:child_process';
import { loadConfig } from '../../src/config/config.js';
import { startGateway } from '../support/gateway-harness.js';

execFileSync(process.execPath, ['scripts/build-client.mjs'], { stdio: 'inherit' });

function pageConfig(html: string): { scopeId: string | null; publicKey: string } {
  const match = /<script type="application\/json" id="gateway-config">(.*?)<\/script>/.exec(html);
  if (match === null) throw new Error('no gateway-config block in the page');
  return JSON.parse(match[1]!) as { scopeId: string | null; publicKey: string };
}

describe('GET /demo', () => {
  it('should be on by default and off with DEMO=off', () => {
    expect(loadConfig({}).demo).toBe(true);
    expect(loadConfig({ DEMO: 'off' }).demo).toBe(false);
    expect(() => loadConfig({ DEMO: 'maybe' })).toThrow(/DEMO/);
  });

  it('should hand the page the development scope, or the scope the URL names, and the public key', async () => {
    const harness = await startGateway('embedded');
    try {
      const page = await fetch(`${harness.url}/demo`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(pageConfig(await page.text())).toEqual({ scopeId: harness.gateway.developmentScopeId, publicKey: harness.publicKey });

      const scope = await harness.createScope();
      expect(pageConfig(await (await fetch(`${harness.url}/demo?scope=${scope.scope_id}`)).text()).scopeId).toBe(scope.scope_id);
      expect((await fetch(`${harness.url}/demo?scope=%3Cscript%3E`)).status).toBe(400);
      expect((await fetch(`${harness.url}/demo/demo.js`, { method: 'HEAD' })).status).toBe(200);
      expect((await fetch(`${harness.url}/demo/other.js`)).status).toBe(404);
    } finally {
      await harness.close();
    }
  });

  it('should not exist with DEMO=off', async () => {
    const harness = await startGateway('embedded', { DEMO: 'off' });
    try {
      expect((await fetch(`${harness.url}/demo`)).status).toBe(404);
      expect((await fetch(`${harness.url}/demo/demo.js`)).status).toBe(404);
    } finally {
      await harness.close();
    }
  });
});
