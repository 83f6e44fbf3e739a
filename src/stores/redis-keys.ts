/**
 * Every Redis key the gateway writes, by purpose. Each purpose has its own namespace right after
 * the deployment's prefix, so no value a client sends (a challenge id, an address, a username) can
 * name a key of another purpose: a challenge id only ever lands under `<prefix>challenge:`, and the
 * rate-limit counters live under `<prefix>ratelimit:`. Session revocations are not in Redis at all
 * (they live in the SQL database, where nothing evicts them).
 */
export const redisKeyPurposes = ['challenge', 'ratelimit'] as const;
export type RedisKeyPurpose = (typeof redisKeyPurposes)[number];

export interface RedisKeySpace {
  /** The namespace of one purpose: `<prefix><purpose>:`. */
  namespace(purpose: RedisKeyPurpose): string;
}

export function redisKeySpace(prefix: string): RedisKeySpace {
  return { namespace: (purpose) => `${prefix}${purpose}:` };
}
