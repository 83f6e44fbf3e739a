import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runSmoke } from '../../scripts/smoke.js';
import { startGateway, TEST_ORIGIN, type Harness } from '../support/gateway-harness.js';

const run = promisify(execFile);

describe('npm run smoke', () => {
  let harness: Harness;
  let scopeId: string;
  beforeAll(async () => {
    harness = await startGateway('embedded');
    scopeId = (await harness.createScope()).scope_id;
  });
  afterAll(() => harness.close());

  it('should run every step against a healthy gateway and report success', async () => {
    const lines: string[] = [];
    const ok = await runSmoke({ url: harness.url, scopeId, origin: TEST_ORIGIN, write: (line) => lines.push(line) });
    expect(ok).toBe(true);
    const steps = lines.filter((line) => line.startsWith('  ok '));
    expect(steps.map((line) => line.slice(8).split(/\s+/)[0])).toEqual([
      'getEncryptionKey',
      'initiateRegistration',
      'completeRegistration',
      'initiateAuthentication',
      'completeAuthentication',
      'getAccount',
      'logout',
      'getAccount',
    ]);
    expect(steps.every((line) => / ms /.test(line))).toBe(true);
  });

  it('should fail, naming the step, when a step does not hold', async () => {
    const lines: string[] = [];
    const ok = await runSmoke({ url: harness.url, scopeId, origin: 'https://not-allowed.example', write: (line) => lines.push(line) });
    expect(ok).toBe(false);
    expect(lines.find((line) => line.startsWith('  FAIL'))).toMatch(/completeRegistration.*verification_failed/);
  });

  it('should exit 0 from the command line on success and 1 on failure', async () => {
    const root = new URL('../../', import.meta.url).pathname;
    const args = ['run', '--silent', 'smoke', '--', '--url', harness.url, '--scope', scopeId, '--key', harness.publicKey, '--origin', TEST_ORIGIN];
    const { stdout } = await run('npm', args, { cwd: root, timeout: 120_000 });
    expect(stdout).toContain('smoke test passed');
    await expect(run('npm', [...args.slice(0, 7), '00000000-0000-4000-8000-000000000000'], { cwd: root, timeout: 120_000 })).rejects.toMatchObject({ code: 1 });
  }, 180_000);
});
