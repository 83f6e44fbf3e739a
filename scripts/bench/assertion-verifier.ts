// Micro-benchmark: one sign-in assertion verified again and again by @simplewebauthn/server's
// verifyAuthenticationResponse and by the gateway's assertion verifier (src/authentication/).
//   npm run build && node dist/scripts/bench/assertion-verifier.js [--ms 1500] [--concurrency 1,8,32]
// For each key type and verifier: wall time and process CPU time (main thread and libuv threadpool
// together, which is where WebCrypto runs) per call, with C calls in flight at once. "key parsed
// per call" alternates two passkeys through a verifier that keeps one key, so each call parses its
// key, as the first sign-in with a passkey in a gateway process does.
import { cpuUsage } from 'node:process';
import { parseArgs } from 'node:util';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type VerifiedAuthenticationResponse,
} from '@simplewebauthn/server';
import { createAssertionVerifier, type VerifyAssertionOptions } from '../../src/authentication/assertion-verifier.js';
import { SoftAuthenticator, type SoftAlgorithm } from '../lib/soft-authenticator.js';

const ORIGIN = 'http://localhost:8788';

const { values } = parseArgs({
  options: {
    ms: { type: 'string', default: '1500' },
    concurrency: { type: 'string', default: '1,8,32' },
  },
});
const measureMs = Number(values.ms);
const concurrencies = values.concurrency.split(',').map(Number);

async function assertionFor(algorithm: SoftAlgorithm): Promise<VerifyAssertionOptions> {
  const authenticator = new SoftAuthenticator({ algorithm, attestation: 'none' });
  const creation = await generateRegistrationOptions({ rpName: 'bench', rpID: 'localhost', userName: 'bench', attestationType: 'none' });
  const registered = await verifyRegistrationResponse({
    response: authenticator.createCredential(creation, ORIGIN),
    expectedChallenge: creation.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: 'localhost',
  });
  const credential = registered.registrationInfo!.credential;
  const request = await generateAuthenticationOptions({ rpID: 'localhost', allowCredentials: [{ id: credential.id }], userVerification: 'required' });
  return {
    response: authenticator.getAssertion(request, ORIGIN),
    expectedChallenge: request.challenge,
    expectedOrigin: [ORIGIN],
    expectedRPID: 'localhost',
    credential: { id: credential.id, publicKey: credential.publicKey, counter: 0 },
    requireUserVerification: true,
  };
}

/** Wall and CPU microseconds per call, with `concurrency` calls in flight. */
async function measure(call: () => Promise<VerifiedAuthenticationResponse>, concurrency: number): Promise<{ wall: number; cpu: number }> {
  const first = await call();
  if (!first.verified) throw new Error('the benchmark assertion does not verify');
  const run = async (ms: number) => {
    let calls = 0;
    const until = performance.now() + ms;
    const worker = async () => {
      while (performance.now() < until) {
        await call();
        calls += 1;
      }
    };
    const started = performance.now();
    const cpuBefore = cpuUsage();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const cpu = cpuUsage(cpuBefore);
    return { wall: ((performance.now() - started) * 1000) / calls, cpu: (cpu.user + cpu.system) / calls };
  };
  await run(Math.min(300, measureMs / 3)); // warm-up: JIT, lazily built tables
  return run(measureMs);
}

const rows: string[] = [];
for (const algorithm of ['ES256', 'EdDSA', 'RS256'] as const) {
  const options = await assertionFor(algorithm);
  const other = await assertionFor(algorithm);
  const warm = createAssertionVerifier();
  const cold = createAssertionVerifier({ maxKeys: 1 });
  let turn = 0;
  const verifiers: [string, () => Promise<VerifiedAuthenticationResponse>][] = [
    ['verifyAuthenticationResponse', () => verifyAuthenticationResponse(options)],
    ['assertion verifier, key cached', () => warm.verify(options)],
    ['assertion verifier, key parsed per call', () => cold.verify((turn += 1) % 2 === 0 ? options : other)],
  ];
  for (const [name, call] of verifiers) {
    for (const concurrency of concurrencies) {
      const { wall, cpu } = await measure(call, concurrency);
      rows.push(`| ${algorithm} | ${name} | ${concurrency} | ${wall.toFixed(1)} | ${cpu.toFixed(1)} |`);
      console.error(rows.at(-1));
    }
  }
}
console.log(['| key | verifier | C | wall µs/call | CPU µs/call |', '| --- | --- | ---: | ---: | ---: |', ...rows].join('\n'));
