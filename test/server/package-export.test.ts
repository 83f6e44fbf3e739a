/**
 * `passkey-gateway/server` as an app imports it: the package's `exports` entry resolves to the built
 * helper (npm run build), which loads in plain Node and names its exports.
 */
import { execFileSync } from 'node:child_process';
import { buildGateway } from '../support/built-gateway.js';

const root = new URL('../../', import.meta.url).pathname;

describe('the passkey-gateway/server export', () => {
  beforeAll(() => buildGateway(), 120_000);

  it('should resolve to the built helper and export the client class, its error and the guard', () => {
    const script = [
      "const helper = await import('passkey-gateway/server');",
      'const names = Object.keys(helper).sort();',
      "let misuse = 'none';",
      "try { new helper.GatewayServer({ url: 'http://localhost:9545', scopeId: 'x', apiKey: 'k' }); } catch (error) { misuse = error.constructor.name; }",
      "const error = new helper.GatewayServerError('token_invalid', 'm', { code: -32070 });",
      'console.log(JSON.stringify({ names, misuse, guarded: helper.isGatewayServerError(error), reason: error.reason }));',
    ].join('\n');
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual({ names: ['GatewayServer', 'GatewayServerError', 'isGatewayServerError'], misuse: 'TypeError', guarded: true, reason: 'token_invalid' });
  });
});
