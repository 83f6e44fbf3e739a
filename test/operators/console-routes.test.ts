import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { createConsoleRoutes } from '../../src/operators/console-routes.js';

describe('GET /admin', () => {
  it('should be off by default, on with ADMIN_CONSOLE=on, and take only an origin as PUBLIC_ORIGIN', () => {
    expect(loadConfig({}).adminConsole).toBe(false);
    expect(loadConfig({ ADMIN_CONSOLE: 'on' }).adminConsole).toBe(true);
    expect(loadConfig({ PORT: '8080' }).publicOrigin).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_ORIGIN: 'https://passkeys.example.com' }).publicOrigin).toBe('https://passkeys.example.com');
    for (const bad of ['https://passkeys.example.com/', 'https://passkeys.example.com/admin', 'ftp://example.com', 'passkeys.example.com', 'http://127.0.0.1:9545', 'https://[::1]']) {
      expect(() => loadConfig({ PUBLIC_ORIGIN: bad })).toThrow(/PUBLIC_ORIGIN/);
    }
    expect(() => loadConfig({ ADMIN_CONSOLE: 'yes' })).toThrow(/ADMIN_CONSOLE/);
  });

  it('should serve the page with its config escaped and the strict headers, its two assets, and 503 until it is built', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pkgw-console-'));
    try {
      const routes = createConsoleRoutes({ publicKey: 'MII</script><script>alert(1)</script>', operatorScopeId: '00000000-0000-4000-8000-000000000000', assetsDir: dir });
      expect(Object.keys(routes).sort()).toEqual(['/admin', '/admin/console.css', '/admin/console.js']);
      const route = (path: string) => routes[path]!(new URLSearchParams());
      expect(route('/admin')).toMatchObject({ status: 503 });

      writeFileSync(join(dir, 'index.html'), '<head><!--gateway-config--></head>');
      writeFileSync(join(dir, 'console.js'), 'export {};');
      const fresh = createConsoleRoutes({ publicKey: 'MII</script><script>alert(1)</script>', operatorScopeId: '00000000-0000-4000-8000-000000000000', assetsDir: dir });
      const page = fresh['/admin']!(new URLSearchParams()) as { status: number; headers: Record<string, string>; body: string };
      expect(page.status).toBe(200);
      expect(page.headers['Content-Security-Policy']).toContain("script-src 'self'");
      expect(page.headers).toMatchObject({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
      // The key cannot close the config block: "<" is escaped inside it.
      expect(page.body).not.toContain('</script><script>');
      expect(page.body).toContain('\\u003c/script>');
      expect(fresh['/admin/console.js']!(new URLSearchParams())).toMatchObject({ status: 200, headers: { 'Content-Type': 'text/javascript; charset=utf-8' } });
      expect(fresh['/admin/console.css']!(new URLSearchParams())).toMatchObject({ status: 503 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
