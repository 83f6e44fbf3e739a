/** When to try a failed delivery again, and when to stop (WEBHOOK_RETRY_* settings). */
export interface RetrySchedule {
  /** The delay after the first failed attempt; each further failure doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long after the event retries go on; an attempt that fails later marks the delivery failed. */
  retryForMs: number;
}

/**
 * The next attempt after `attempts` failed ones, or null to give up: exponential backoff with
 * "equal jitter" (half the delay fixed, half random), so receivers coming back up are not hit by
 * every gateway's retries at the same moment, yet no retry comes sooner than half its delay.
 */
export function nextAttemptAt(schedule: RetrySchedule, attempts: number, createdAtMs: number, nowMs: number, random: () => number = Math.random): number | null {
  if (nowMs - createdAtMs >= schedule.retryForMs) return null;
  const exponent = Math.min(Math.max(attempts - 1, 0), 40);
  const delay = Math.min(schedule.maxDelayMs, schedule.baseDelayMs * 2 ** exponent);
  return nowMs + delay / 2 + random() * (delay / 2);
}
