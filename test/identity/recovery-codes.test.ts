import { createHmac, randomBytes } from 'node:crypto';
import { newCodeNormalized, newRecoveryCodes, newRecoveryCodeSet, recoveryCodeHash, recoveryCodeHashes, recoveryCodeSchema, RECOVERY_CODE_COUNT } from '../../src/identity/recovery-codes.js';

describe('recovery codes', () => {
  it('are ten codes of two five-letter groups from the 32-letter alphabet, all different', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
  });

  it('use every letter of the alphabet about equally often (no bias from the byte draw)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 400; i += 1) for (const char of newRecoveryCodes().join('').replace(/-/g, '')) counts.set(char, (counts.get(char) ?? 0) + 1);
    // 40,000 characters over 32 letters: 1,250 each expected; a letter never drawn or drawn twice as often would be a bug.
    expect(counts.size).toBe(32);
    for (const count of counts.values()) expect(count).toBeGreaterThan(1_000);
    for (const count of counts.values()) expect(count).toBeLessThan(1_500);
  });

  it('normalize to what a person typing them is normalized to', () => {
    for (const code of newRecoveryCodes()) {
      expect(newCodeNormalized(code)).toBe(recoveryCodeSchema.parse(code));
      expect(newCodeNormalized(code)).toBe(recoveryCodeSchema.parse(` ${code.toLowerCase()} `));
    }
  });

  it('hash in a batch exactly as one by one, under a key derived from the secret', () => {
    const secret = randomBytes(32);
    const codes = newRecoveryCodes().map(newCodeNormalized);
    const hashes = recoveryCodeHashes(secret, 'account-1', codes);
    expect(hashes).toEqual(codes.map((code) => recoveryCodeHash(secret, 'account-1', code)));
    const key = createHmac('sha256', secret).update('recovery-code').digest();
    expect(hashes[0]).toBe(createHmac('sha256', key).update(`account-1:${codes[0]}`).digest('base64url'));
    // Another account's hash of the same code differs.
    expect(recoveryCodeHashes(secret, 'account-2', codes)[0]).not.toBe(hashes[0]);
  });

  it('store each code of a new set as the hash of the code a person types back', () => {
    const secret = randomBytes(32);
    const { codes, hashes } = newRecoveryCodeSet(secret, 'account-1');
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(hashes).toEqual(codes.map((code) => recoveryCodeHash(secret, 'account-1', recoveryCodeSchema.parse(` ${code.toLowerCase()} `))));
  });
});
