import { randomUUID } from 'node:crypto';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { describeForBackends } from '../support/backends.js';
import { initiateAuthentication, register } from '../support/ceremonies.js';
import { startGateway, type Harness } from '../support/gateway-harness.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { RpcClient } from '../../scripts/lib/rpc-client.js';

const ACCOUNTS = 200;
/** Calls in flight at once: enough to keep both cores busy, few enough not to queue for long. */
const LANES = 5;
const ID_LENGTHS = [16, 32, 64];
const TRANSPORT_LISTS = [['internal'], ['hybrid', 'internal'], ['usb'], ['nfc', 'usb'], []];
/**
 * Standard deviations a frequency among unknown answers may stray from the real one. A value's
 * frequency is its mean number of occurrences per answer (for a passkey count: the share of answers
 * with that count). Each unknown answer should be an independent uniform draw from the real
 * accounts (the gateway samples up to 500, the scope holds 200, whose frequencies are exact), so
 * the mean over 200 unknown answers has standard deviation σ/√200, σ being the value's spread over
 * the real answers. At 4.5 σ one comparison fails by chance about once in 150,000 runs (normal
 * approximation); the test makes eleven per backend.
 */
const SIGMAS = 4.5;

type AllowList = NonNullable<PublicKeyCredentialRequestOptionsJSON['allowCredentials']>;
interface PasskeySpec {
  idLength: number;
  transports: string[];
}

/** A fixed pseudo-random sequence (mulberry32), so every run registers the same mix of shapes. */
function sequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** 1–3 passkeys per account (about half, a third, a fifth), each with its own id length and transports. */
function accountSpecs(count: number): PasskeySpec[][] {
  const next = sequence(9);
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)]!;
  return Array.from({ length: count }, () => {
    const draw = next();
    const passkeys = draw < 0.5 ? 1 : draw < 0.8 ? 2 : 3;
    return Array.from({ length: passkeys }, () => ({ idLength: pick(ID_LENGTHS), transports: pick(TRANSPORT_LISTS) }));
  });
}

/** Runs `work` over `items`, LANES at a time, each lane with its own client; results in item order. */
async function inLanes<T, R>(items: T[], newClient: () => RpcClient, work: (client: RpcClient, item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      const client = newClient();
      for (let i = lane; i < items.length; i += LANES) results[i] = await work(client, items[i]!);
    }),
  );
  return results;
}

/** What an answer shows of each passkey: its id's length in bytes and its transports. */
function shapeOf(allow: AllowList): PasskeySpec[] {
  return allow.map((credential) => ({ idLength: Buffer.from(credential.id, 'base64url').length, transports: credential.transports ?? [] }));
}

/** How often each value occurs in one answer: its passkey count, and every id length and transports list. */
function featuresOf(shape: PasskeySpec[]): Map<string, number> {
  const features = new Map<string, number>([[`count ${shape.length}`, 1]]);
  const add = (key: string) => features.set(key, (features.get(key) ?? 0) + 1);
  for (const passkey of shape) {
    add(`id length ${passkey.idLength}`);
    add(`transports ${JSON.stringify(passkey.transports)}`);
  }
  return features;
}

interface Comparison {
  value: string;
  real: number;
  unknown: number;
  tolerance: number;
}

/** Per value: its mean occurrences per answer among real and unknown answers, and the allowed gap. */
function compareFeatures(real: PasskeySpec[][], unknown: PasskeySpec[][]): Comparison[] {
  const realFeatures = real.map(featuresOf);
  const unknownFeatures = unknown.map(featuresOf);
  const values = new Set([...realFeatures, ...unknownFeatures].flatMap((features) => [...features.keys()]));
  const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
  return [...values].sort().map((value) => {
    const realCounts = realFeatures.map((features) => features.get(value) ?? 0);
    const realMean = mean(realCounts);
    const spread = Math.sqrt(mean(realCounts.map((x) => (x - realMean) ** 2)));
    return {
      value,
      real: realMean,
      unknown: mean(unknownFeatures.map((features) => features.get(value) ?? 0)),
      tolerance: (SIGMAS * spread) / Math.sqrt(unknown.length),
    };
  });
}

describeForBackends('unknown-user answers through the real endpoint', (backend) => {
  let harness: Harness;
  let scopeId: string;
  /** The gateway's clock runs with real time, moved forward when a test says so. */
  let offset = 0;
  const newClient = () => new RpcClient(harness.url, scopeId, harness.publicKey);

  beforeAll(async () => {
    harness = await startGateway(backend, { RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_USER_PER_MINUTE: '0' }, { now: () => Date.now() + offset });
    scopeId = (await harness.createScope({ name: 'shapes' })).scope_id;
  });
  afterAll(() => harness.close());

  it('finding 9: unknown usernames get answers shaped like real accounts', async () => {
    const specs = accountSpecs(ACCOUNTS);
    const usernames = specs.map(() => `real-${randomUUID().slice(0, 8)}`);
    // Every account is registered before the first sign-in names a user, and an hour before it (the
    // sample holds accounts created before the current hour), so the gateway's sample is all of them.
    await inLanes(
      specs.map((spec, i) => ({ spec, username: usernames[i]! })),
      newClient,
      async (client, { spec, username }) => {
        const [first, ...more] = spec.map(({ idLength, transports }) => new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none', credentialIdLength: idLength, transports }));
        const { encrypted_jwt: session } = await register(client, first!, username);
        for (const authenticator of more) await register(client, authenticator, username, session);
      },
    );

    offset += 60 * 60_000;
    const ask = (names: string[]) => inLanes(names, newClient, async (client, name) => (await initiateAuthentication(client, name)).options.allowCredentials ?? []);
    const realAnswers = await ask(usernames);
    expect(realAnswers.map(shapeOf)).toEqual(specs);
    const strangers = specs.map(() => `stranger-${randomUUID().slice(0, 8)}`);
    const unknownAnswers = await ask(strangers);

    // Each stranger's answer is an account shape some real user has.
    const realShapes = new Set(specs.map((spec) => JSON.stringify(spec)));
    const unknownShapes = unknownAnswers.map((answer) => JSON.stringify(shapeOf(answer)));
    expect(unknownShapes.filter((shape) => !realShapes.has(shape))).toEqual([]);
    // The stand-in ids are as unguessable as real ones: none repeats across answers.
    const ids = unknownAnswers.flatMap((answer) => answer.map((credential) => credential.id));
    expect(new Set(ids).size).toBe(ids.length);

    // Counts, id lengths and transports occur among strangers as often as among real users.
    const comparisons = compareFeatures(specs, unknownAnswers.map(shapeOf));
    expect(comparisons.filter(({ real, unknown, tolerance }) => Math.abs(real - unknown) > tolerance)).toEqual([]);
    // More than one count and id length were seen at all (a guard against a degenerate mix).
    expect(comparisons.filter(({ value, unknown }) => value.startsWith('count') && unknown > 0).length).toBeGreaterThan(1);
    expect(comparisons.filter(({ value, unknown }) => value.startsWith('id length') && unknown > 0).length).toBeGreaterThan(1);

    // The same every time, from any client.
    const again = await ask(strangers.slice(0, 20));
    expect(again).toEqual(unknownAnswers.slice(0, 20));
  });
});
