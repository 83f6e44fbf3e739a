const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * `--since` as an ISO-8601 time: either a timestamp (2026-01-31T12:00:00Z, or a date) or an age
 * such as 15m, 24h or 7d counted back from `now`. Null when it is neither.
 */
export function parseSince(value: string, now: number): string | null {
  const age = /^(\d{1,6})([smhd])$/.exec(value.trim());
  if (age !== null) return new Date(now - Number(age[1]) * UNIT_MS[age[2] as keyof typeof UNIT_MS]).toISOString();
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return null;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? null : time.toISOString();
}
