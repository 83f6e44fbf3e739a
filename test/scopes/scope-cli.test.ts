import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runScopeCli } from '../../src/scopes/scope-cli.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';

const run = promisify(execFile);

describe('scope CLI', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'pkgw-cli-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = () => ({ DATA_DIR: dataDir });

  it('should create a scope and print it as JSON with its scope_id and defaults', async () => {
    const out = await runScopeCli(['create', '--name', 'Shop', '--rp-id', 'localhost', '--origin', 'http://localhost:8788', '--origin', 'http://localhost:3000', '--user-verification', 'preferred'], env());
    expect(out.code).toBe(0);
    const scope = JSON.parse(out.stdout) as Record<string, unknown>;
    expect(scope).toMatchObject({
      name: 'Shop',
      rp_id: 'localhost',
      rp_name: 'Shop',
      origins: ['http://localhost:8788', 'http://localhost:3000'],
      user_verification: 'preferred',
      attestation: 'none',
      resident_key: 'preferred',
      timeout_ms: 300000,
      algorithms: [-8, -7, -257],
      session_ttl: 3600,
    });
    expect(scope.scope_id).toMatch(/^[0-9a-f-]{36}$/);

    const listed = JSON.parse((await runScopeCli(['list'], env())).stdout) as { scope_id: string }[];
    expect(listed.map((s) => s.scope_id)).toEqual([scope.scope_id]);
    const shown = JSON.parse((await runScopeCli(['show', String(scope.scope_id)], env())).stdout) as Record<string, unknown>;
    expect(shown.name).toBe('Shop');

    const updated = await runScopeCli(['update', String(scope.scope_id), '--origin', 'https://shop.example', '--timeout-ms', '60000', '--session-ttl', '900'], env());
    expect(JSON.parse(updated.stdout)).toMatchObject({ origins: ['https://shop.example'], timeout_ms: 60000, session_ttl: 900, user_verification: 'preferred', name: 'Shop' });
  });

  it('should set recovery codes and second-factor sessions, on create and on update, and refuse other values', async () => {
    const created = await runScopeCli(['create', '--name', 'Apps', '--rp-id', 'localhost', '--origin', 'http://localhost:8788'], env());
    const scope = JSON.parse(created.stdout) as { scope_id: string };
    expect(scope).toMatchObject({ recovery_codes: 'on', second_factor_sessions: 'refused' });
    const updated = await runScopeCli(['update', scope.scope_id, '--recovery-codes', 'off', '--second-factor-sessions', 'allowed'], env());
    expect(JSON.parse(updated.stdout)).toMatchObject({ recovery_codes: 'off', second_factor_sessions: 'allowed', name: 'Apps' });
    const refused = await runScopeCli(['update', scope.scope_id, '--recovery-codes', 'maybe'], env());
    expect(refused.code).toBe(1);
  });

  it('should set the WebAuthn Level 3 settings, clear lists with an empty value, and print the related origins document', async () => {
    const created = await runScopeCli(
      [
        'create', '--name', 'Shop', '--rp-id', 'shop.example', '--origin', 'https://shop.example', '--origin', 'https://shop-partner.example',
        '--origin', `android:apk-key-hash:${'A'.repeat(43)}`, '--hints', 'security-key,hybrid', '--backup-eligibility', 'forbidden',
        '--top-origin', 'https://portal.example', '--attestation', 'enterprise', '--aaguid-allow', 'EE882879-721C-4913-9775-3DFCCE97072A',
      ],
      env(),
    );
    expect(created.code).toBe(0);
    const scope = JSON.parse(created.stdout) as { scope_id: string };
    expect(scope).toMatchObject({
      hints: ['security-key', 'hybrid'],
      backup_eligibility: 'forbidden',
      backup_eligibility_change: 'allowed',
      top_origins: ['https://portal.example'],
      attestation: 'enterprise',
      aaguid_allow: ['ee882879-721c-4913-9775-3dfcce97072a'],
      aaguid_deny: [],
    });
    await runScopeCli(['create', '--name', 'Other', '--rp-id', 'other.example', '--origin', 'https://other.example'], env());
    const related = await runScopeCli(['related-origins', scope.scope_id], env());
    expect(related.code).toBe(0);
    // Web origins of every scope of the RP id; app origins prove themselves another way.
    expect(JSON.parse(related.stdout)).toEqual({ origins: ['https://shop.example', 'https://shop-partner.example'] });

    const cleared = await runScopeCli(['update', scope.scope_id, '--hints', '', '--aaguid-allow', '', '--top-origin', ''], env());
    expect(JSON.parse(cleared.stdout)).toMatchObject({ hints: [], aaguid_allow: [], top_origins: [], backup_eligibility: 'forbidden' });
    const badHint = await runScopeCli(['update', scope.scope_id, '--hints', 'usb'], env());
    expect(badHint.code).toBe(1);
    expect((await runScopeCli(['related-origins', '00000000-0000-0000-0000-000000000000'], env())).code).toBe(1);
  });

  it('should refuse bad input with a message and a non-zero exit', async () => {
    const bad = await runScopeCli(['create', '--name', 'x', '--rp-id', 'localhost', '--origin', 'not a url'], env());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('origin');
    expect((await runScopeCli(['show', '00000000-0000-0000-0000-000000000000'], env())).code).toBe(1);
    expect((await runScopeCli(['frobnicate'], env())).code).toBe(2);
  });

  describe('with a running gateway', () => {
    let harness: Harness;
    beforeAll(async () => {
      harness = await startGateway('embedded');
    });
    afterAll(() => harness.close());

    it('should have a new scope honoured within one second, without restart', async () => {
      const out = await runScopeCli(['create', '--name', 'live', '--rp-id', 'localhost', '--origin', 'https://live.example'], { DATA_DIR: harness.dataDir });
      expect(out.code).toBe(0);
      const started = Date.now();
      let allowed: string | null = null;
      while (allowed === null && Date.now() - started < 2000) {
        const response = await fetch(harness.url, { method: 'OPTIONS', headers: { origin: 'https://live.example', 'access-control-request-method': 'POST' } });
        allowed = response.headers.get('access-control-allow-origin');
        if (allowed === null) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(allowed).toBe('https://live.example');
      expect(Date.now() - started).toBeLessThan(1000);

      const id = (JSON.parse(out.stdout) as { scope_id: string }).scope_id;
      await runScopeCli(['update', id, '--origin', 'https://moved.example'], { DATA_DIR: harness.dataDir });
      const moved = Date.now();
      let ok = false;
      while (!ok && Date.now() - moved < 2000) {
        const response = await fetch(harness.url, { method: 'OPTIONS', headers: { origin: 'https://moved.example', 'access-control-request-method': 'POST' } });
        ok = response.headers.get('access-control-allow-origin') === 'https://moved.example';
        if (!ok) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(ok).toBe(true);
      expect(Date.now() - moved).toBeLessThan(1000);
    });
  });

  it('should run as `npm run scope` and print only JSON on stdout', async () => {
    const { stdout } = await run('npm', ['run', '--silent', 'scope', '--', 'create', '--name', 'npm', '--rp-id', 'localhost', '--origin', 'http://localhost:8788'], {
      cwd: new URL('../../', import.meta.url).pathname,
      env: { ...process.env, DATA_DIR: dataDir },
      timeout: 120_000,
    });
    expect((JSON.parse(stdout) as { name: string }).name).toBe('npm');
  }, 120_000);
});
