// Operators' check of a running gateway: a scripted registration, sign-in, getAccount and sign-out
// with a software authenticator, each RPC step printed with its time and outcome.
//   npm run smoke -- --url URL --scope SCOPE_ID [--key BASE64_SPKI] [--origin ORIGIN]
// Exit code 0 only when every step held.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ceremoniesFor } from './lib/ceremonies.js';
import { fetchEncryptionKey, RpcClient } from './lib/rpc-client.js';
import { SoftAuthenticator } from './lib/soft-authenticator.js';

export interface SmokeOptions {
  url: string;
  scopeId: string;
  publicKey?: string;
  /** The page origin the software authenticator signs for; must be one of the scope's origins. */
  origin?: string;
  write?: (line: string) => void;
}

export async function runSmoke(options: SmokeOptions): Promise<boolean> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const origin = options.origin ?? new URL(options.url).origin;
  const ceremonies = ceremoniesFor(origin);
  let failed = false;

  async function step<T>(name: string, run: () => Promise<T>, describe: (value: T) => string = () => 'ok'): Promise<T | undefined> {
    if (failed) {
      write(`  skip  ${name}`);
      return undefined;
    }
    const started = performance.now();
    try {
      const value = await run();
      write(`  ok    ${name.padEnd(34)} ${(performance.now() - started).toFixed(1).padStart(8)} ms  ${describe(value)}`);
      return value;
    } catch (error) {
      failed = true;
      write(`  FAIL  ${name.padEnd(34)} ${(performance.now() - started).toFixed(1).padStart(8)} ms  ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  write(`smoke test of ${options.url}, scope ${options.scopeId}, page origin ${origin}`);
  const publicKey =
    options.publicKey ??
    (await step('getEncryptionKey', () => fetchEncryptionKey(options.url), (key) => `${key.slice(0, 24)}…`));
  if (publicKey === undefined) return false;

  const client = new RpcClient(options.url, options.scopeId, publicKey);
  const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' });
  const username = `smoke-${randomUUID()}`;
  const expectResult = async (reply: Promise<{ error?: { data?: string } ; result?: unknown }>) => {
    const { error, result } = await reply;
    if (error !== undefined) throw new Error(`error ${error.data ?? ''}`);
    return result as Record<string, unknown>;
  };

  const registration = await step('initiateRegistration', () => ceremonies.initiateRegistration(client, username), (r) => `challenge ${r.challengeId}`);
  const registered = await step('completeRegistration', () => expectResult(ceremonies.completeRegistration(client, registration!, authenticator)), (r) => `account ${String(r.account_id)}`);
  const authentication = await step('initiateAuthentication', () => ceremonies.initiateAuthentication(client, username), (r) => `challenge ${r.challengeId}`);
  const signedIn = await step('completeAuthentication', () => expectResult(ceremonies.completeAuthentication(client, authentication!, authenticator)), () => 'session received');
  const session = String(signedIn?.encrypted_jwt);
  await step('getAccount', async () => {
    const account = await expectResult(ceremonies.sessionCall(client, session, 'getAccount'));
    if (account.account_id !== registered?.account_id) throw new Error('getAccount returned another account');
    return account;
  }, (a) => `address ${String(a.address)}`);
  await step('logout', () => expectResult(ceremonies.sessionCall(client, session, 'logout')));
  await step('getAccount after logout is refused', async () => {
    const { error } = await ceremonies.sessionCall(client, session, 'getAccount');
    if (error?.data !== 'session_invalid') throw new Error('the revoked session still works');
  }, () => 'session_invalid');

  write(failed ? 'smoke test FAILED' : 'smoke test passed');
  return !failed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, scope: { type: 'string' }, key: { type: 'string' }, origin: { type: 'string' } },
  });
  if (values.url === undefined || values.scope === undefined) {
    process.stderr.write('usage: npm run smoke -- --url URL --scope SCOPE_ID [--key BASE64_SPKI] [--origin ORIGIN]\n');
    process.exit(2);
  }
  runSmoke({ url: values.url, scopeId: values.scope, publicKey: values.key, origin: values.origin }).then(
    (ok) => process.exit(ok ? 0 : 1),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
