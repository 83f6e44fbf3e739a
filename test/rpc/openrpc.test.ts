import { readFileSync } from 'node:fs';
import { buildOpenRpcDocument } from '../../src/openrpc.js';

const root = new URL('../../', import.meta.url);

describe('rpc-schema/openrpc.json', () => {
  it('should match the zod schemas the server validates with (run `npm run rpc-schema` after changing them)', () => {
    const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
    const committed: unknown = JSON.parse(readFileSync(new URL('rpc-schema/openrpc.json', root), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildOpenRpcDocument(version))));
  });

  it('should document every method with its params and result', () => {
    const document = buildOpenRpcDocument('0') as { methods: { name: string; params: { name: string }[] }[] };
    const names = document.methods.map((method) => method.name);
    expect(names).toEqual(expect.arrayContaining(['getEncryptionKey', 'initiateRegistration', 'completeRegistration']));
    const complete = document.methods.find((method) => method.name === 'completeRegistration');
    expect(complete?.params.map((param) => param.name)).toEqual(['challenge_id', 'encrypted_attestation', 'encrypted_user']);
  });

  it('should mark the server methods as taking an API key, and no scope header', () => {
    const document = buildOpenRpcDocument('0') as { methods: { name: string; 'x-requires-api-key': boolean; 'x-requires-scope': boolean; 'x-requires-admin-token': boolean }[] };
    const server = document.methods.filter((method) => method['x-requires-api-key']).map((method) => method.name);
    expect(server.sort()).toEqual([
      'createRegistrationToken', 'createSignInToken', 'deleteAccount', 'deleteAccountCredential', 'findAccount', 'listAccountCredentials', 'listAccounts',
      'revokeSessions', 'verifySignIn',
    ]);
    for (const method of document.methods.filter((entry) => entry['x-requires-api-key'])) {
      expect([method['x-requires-scope'], method['x-requires-admin-token']]).toEqual([false, false]);
    }
  });
});
