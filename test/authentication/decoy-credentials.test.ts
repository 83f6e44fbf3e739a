import { createHmac, randomBytes } from 'node:crypto';
import { decoyCredentials, isStandInId, emptyShapeSample, shapeSample } from '../../src/authentication/decoy-credentials.js';
import type { CredentialShape } from '../../src/domain/account.js';
import { match } from '../support/match.js';

const secret = Buffer.alloc(32, 7);
const scopeId = '3f0c9a52-5b7e-4d7e-9c1a-0d6f1b2c3d4e';

const shapeA: CredentialShape[] = [{ id_length: 16, transports: ['usb'] }];
const shapeB: CredentialShape[] = [
  { id_length: 64, transports: [] },
  { id_length: 32, transports: ['hybrid', 'internal'] },
];
const shapeC: CredentialShape[] = [
  { id_length: 32, transports: ['internal'] },
  { id_length: 32, transports: ['internal'] },
  { id_length: 20, transports: ['nfc', 'usb'] },
];

/** `count` accounts of each shape, interleaved as a store might return them. */
function accounts(...groups: Array<[CredentialShape[], number]>): CredentialShape[][] {
  const all = groups.flatMap(([shape, count]) => Array.from({ length: count }, () => shape.map((credential) => ({ ...credential, transports: [...credential.transports] }))));
  return all.map((_, i) => all[(i * 7) % all.length]!);
}

/** What an answer shows of a shape: id lengths in bytes and transports. */
const shapeOf = (answer: { id: string; transports: string[] }[]) =>
  answer.map(({ id, transports }) => ({ id_length: Buffer.from(id, 'base64url').length, transports }));

const usernames = (count: number) => Array.from({ length: count }, (_, i) => `user-${i}`);

describe('decoyCredentials (stand-ins for an unknown username)', () => {
  const sample = shapeSample(accounts([shapeA, 50], [shapeB, 30], [shapeC, 20]));

  it('should give the same answer every time for the same secret, scope, username and sample', () => {
    const first = decoyCredentials(secret, scopeId, 'nobody', sample);
    expect(decoyCredentials(secret, scopeId, 'nobody', sample)).toEqual(first);
    // The sample's order as read does not matter: it is put in canonical order.
    expect(decoyCredentials(secret, scopeId, 'nobody', shapeSample(accounts([shapeA, 50], [shapeB, 30], [shapeC, 20]).reverse()))).toEqual(first);
  });

  it('should answer with a whole account shape of the sample, ids of its lengths as unpadded base64url', () => {
    for (const name of usernames(200)) {
      const answer = decoyCredentials(secret, scopeId, name, sample);
      expect([shapeA, shapeB, shapeC]).toContainEqual(shapeOf(answer));
      for (const { id } of answer) expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(new Set(answer.map(({ id }) => id)).size).toBe(answer.length);
    }
  });

  it('should differ with the secret, the scope and the username', () => {
    const ids = (answer: { id: string }[]) => answer.map(({ id }) => id).join();
    const base = ids(decoyCredentials(secret, scopeId, 'nobody', sample));
    expect(ids(decoyCredentials(randomBytes(32), scopeId, 'nobody', sample))).not.toBe(base);
    expect(ids(decoyCredentials(secret, '00000000-0000-4000-8000-000000000000', 'nobody', sample))).not.toBe(base);
    expect(ids(decoyCredentials(secret, scopeId, 'nobody2', sample))).not.toBe(base);
  });

  it('should draw each shape about as often as the sample holds it', () => {
    const draws = 4000;
    const counts = new Map<string, number>();
    for (const name of usernames(draws)) {
      const key = JSON.stringify(shapeOf(decoyCredentials(secret, scopeId, name, sample)));
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    // 4.5 standard deviations of a binomial share over 4000 draws: at most 0.036.
    for (const [shape, share] of [[shapeA, 0.5], [shapeB, 0.3], [shapeC, 0.2]] as const) {
      const tolerance = 4.5 * Math.sqrt((share * (1 - share)) / draws);
      expect(Math.abs((counts.get(JSON.stringify(shape)) ?? 0) / draws - share)).toBeLessThanOrEqual(tolerance);
    }
  });

  it('should keep almost every answer when the sample gains an account', () => {
    const grown = shapeSample(accounts([shapeA, 51], [shapeB, 30], [shapeC, 20]));
    const names = usernames(2000);
    const changed = names.filter((name) => JSON.stringify(decoyCredentials(secret, scopeId, name, sample)) !== JSON.stringify(decoyCredentials(secret, scopeId, name, grown)));
    // Only draws just below the two boundaries between shapes move (0.5 to 51/101, 0.8 to 81/101): 0.7 %, some 14 names.
    expect(changed.length).toBeLessThan(60);
  });

  it('should answer a scope without accounts with one 32-byte stand-in, as before samples existed', () => {
    const digest = createHmac('sha256', secret).update(`decoy-credential\0${scopeId}\0nobody`, 'utf8').digest();
    const answer = decoyCredentials(secret, scopeId, 'nobody', emptyShapeSample);
    expect(answer).toEqual([{ id: match.any(String), transports: match.any(Array) }]);
    // The HMAC's first 24 bytes, then the 8-byte tag that marks it as a stand-in.
    const id = Buffer.from(answer[0]!.id, 'base64url');
    expect(id).toHaveLength(32);
    expect(id.subarray(0, 24)).toEqual(digest.subarray(0, 24));
    expect(isStandInId(secret, scopeId, answer[0]!.id)).toBe(true);
    expect([['internal'], ['hybrid', 'internal'], ['usb']]).toContainEqual(answer[0]!.transports);
    // Accounts without passkeys (which the stores leave out anyway) make no shape.
    expect(decoyCredentials(secret, scopeId, 'nobody', shapeSample([[], []]))).toEqual(answer);
  });

  it('should tag every stand-in id of 16 bytes or more so the gateway knows it without the username, and no one else can', () => {
    for (const name of usernames(200)) {
      for (const { id } of decoyCredentials(secret, scopeId, name, sample)) {
        expect(isStandInId(secret, scopeId, id)).toBe(true);
        // Under another secret or in another scope it is just an unknown id.
        expect(isStandInId(randomBytes(32), scopeId, id)).toBe(false);
        expect(isStandInId(secret, 'another-scope', id)).toBe(false);
      }
    }
    // Ids an authenticator made are not stand-ins (8 tag bytes: a 2^-64 chance); ids too short to tag might be.
    expect(Array.from({ length: 200 }, () => isStandInId(secret, scopeId, randomBytes(32).toString('base64url'))).filter(Boolean)).toEqual([]);
    expect(isStandInId(secret, scopeId, randomBytes(15).toString('base64url'))).toBe(true);
  });

  it('should not hand out the sample\'s own transports arrays', () => {
    const answer = decoyCredentials(secret, scopeId, 'nobody', sample);
    answer[0]!.transports.push('mutated');
    expect(decoyCredentials(secret, scopeId, 'nobody', sample)[0]!.transports).not.toContain('mutated');
  });
});
