import { createHash } from 'node:crypto';
import type { Scope } from '../domain/scope.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { RateLimitCounters } from '../stores/rate-limit-counters.js';

const WINDOW_SECONDS = 60;

export interface RateLimitDefaults {
  ipPerMinute: number;
  userPerMinute: number;
  signingPerMinute: number;
  /** Server calls per API key. */
  apiKeyPerMinute: number;
}

/**
 * Counts calls and refuses them with `rate_limited` over a scope's limits: every call that carries a
 * client key per address, every ceremony call per username, every signature per account, and
 * every server call per API key.
 */
export interface RateLimiter {
  /** One call from this client address in this scope. */
  consumeClient(scope: Scope, clientIp: string): Promise<void>;
  /** One call for this (normalized) username in this scope. */
  consumeUser(scope: Scope, usernameKey: string): Promise<void>;
  /** One signature by this account's key. */
  consumeSigning(scope: Scope, accountId: string): Promise<void>;
  /** One server call made with this API key (its key id). */
  consumeApiKey(keyId: string): Promise<void>;
  /**
   * One recovery attempt for this (normalized) username, from this address, counted before it is
   * judged: at most RECOVERY_PER_IP an hour per address, RECOVERY_PER_USERNAME_AND_IP per
   * username from one address and RECOVERY_PER_USERNAME per username from all addresses (known
   * or not, so the answer tells nothing), whatever the scope's other limits (none turns them off).
   */
  consumeRecovery(scope: Scope, usernameKey: string, clientIp: string): Promise<void>;
  /**
   * The attempt succeeded: it no longer counts against the username, so only failures do and
   * someone guessing from elsewhere cannot use up the owner's attempts.
   */
  refundRecovery(scope: Scope, usernameKey: string, clientIp: string): Promise<void>;
}

/** Hashed, so the shared store holds no usernames and keys stay short. */
function hashed(usernameKey: string): string {
  return createHash('sha256').update(usernameKey).digest('base64url');
}

type Kind = 'ip' | 'user' | 'sign' | 'key' | 'recovery-user' | 'recovery-user-ip' | 'recovery-ip';

/**
 * Recovery codes are 50-bit secrets: a few guesses an hour leave an attacker nowhere. Failures
 * count per username and address, so one address guessing does not lock the owner out; the
 * larger cap per username bounds guesses spread over many addresses.
 */
export const RECOVERY_PER_USERNAME_AND_IP = 5;
export const RECOVERY_PER_USERNAME = 50;
export const RECOVERY_PER_IP = 20;
const RECOVERY_WINDOW_SECONDS = 3600;

/**
 * The policy: which calls count under which key (per scope and client address, per scope and
 * username), against which limit (the scope's, else the gateway's; 0: none), in fixed one-minute
 * windows. The counting itself is the store's (see stores/rate-limit-counters.ts).
 */
export function createRateLimiter(options: { counters: RateLimitCounters; defaults: RateLimitDefaults }): RateLimiter {
  const { counters, defaults } = options;
  // The key is made only when the limit is on: a username's hash costs more than the check.
  const consume = async (kind: Kind, limit: number, key: () => string, windowSeconds = WINDOW_SECONDS): Promise<void> => {
    if (limit === 0) return;
    const { allowed, msBeforeNext } = await counters.consume(`${kind}:${key()}`, limit, windowSeconds);
    if (!allowed) throw new GatewayError('rate_limited', `${kind} limit ${limit}/min reached; retry in ${Math.ceil(msBeforeNext / 1000)} s`);
  };

  return {
    consumeClient(scope, clientIp) {
      return consume('ip', scope.rate_limit_ip_per_minute ?? defaults.ipPerMinute, () => `${scope.scope_id}:${clientIp}`);
    },
    consumeUser(scope, usernameKey) {
      return consume('user', scope.rate_limit_user_per_minute ?? defaults.userPerMinute, () => `${scope.scope_id}:${hashed(usernameKey)}`);
    },
    async consumeRecovery(scope, usernameKey, clientIp) {
      // Both count, so neither a spread over usernames nor over addresses gets more guesses.
      await consume('recovery-ip', RECOVERY_PER_IP, () => `${scope.scope_id}:${clientIp}`, RECOVERY_WINDOW_SECONDS);
      await consume('recovery-user-ip', RECOVERY_PER_USERNAME_AND_IP, () => `${scope.scope_id}:${hashed(`${usernameKey}\u0000${clientIp}`)}`, RECOVERY_WINDOW_SECONDS);
      await consume('recovery-user', RECOVERY_PER_USERNAME, () => `${scope.scope_id}:${hashed(usernameKey)}`, RECOVERY_WINDOW_SECONDS);
    },
    async refundRecovery(scope, usernameKey, clientIp) {
      // The per-address count stays: an address's attempts count whatever they were.
      await counters.refund(`recovery-user-ip:${scope.scope_id}:${hashed(`${usernameKey}\u0000${clientIp}`)}`, RECOVERY_WINDOW_SECONDS);
      await counters.refund(`recovery-user:${scope.scope_id}:${hashed(usernameKey)}`, RECOVERY_WINDOW_SECONDS);
    },
    consumeSigning(scope, accountId) {
      return consume('sign', scope.rate_limit_signing_per_minute ?? defaults.signingPerMinute, () => `${scope.scope_id}:${accountId}`);
    },
    consumeApiKey(keyId) {
      // Per key, whatever address calls with it: a leaked key is held to the same pace.
      return consume('key', defaults.apiKeyPerMinute, () => keyId);
    },
  };
}
