import { parseArgs } from 'node:util';
import { z } from 'zod';
import { cliConfig, isCliResult, type CliResult } from '../cli/cli-runner.js';
import { openStores } from '../stores/open-stores.js';
import { AUDIT_PAGE_MAX } from '../domain/audit-event.js';
import { parseSince } from './since.js';

const USAGE = `usage: npm run -s audit -- --scope SCOPE_ID [--since 2026-01-31T00:00:00Z | 24h | 7d] [--limit N]
Prints the scope's audit events oldest first, one JSON object per line (at most --limit, default 10000).
Uses the same environment (DATA_DIR, DATABASE_URL, …) as the server.`;

const options = {
  scope: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `npm run audit`: reads a scope's audit log straight from the database. */
export async function runAuditCli(argv: string[], env: NodeJS.ProcessEnv, now = Date.now()): Promise<CliResult> {
  let flags;
  try {
    flags = parseArgs({ args: argv, options, allowPositionals: false }).values;
  } catch (error) {
    return { code: 2, stdout: '', stderr: `${error instanceof Error ? error.message : String(error)}\n${USAGE}\n` };
  }
  if (flags.help) return { code: 0, stdout: '', stderr: `${USAGE}\n` };
  const scopeId = z.uuid().safeParse(flags.scope);
  if (!scopeId.success) return { code: 2, stdout: '', stderr: `--scope must be a scope id (UUID)\n${USAGE}\n` };
  const since = flags.since === undefined ? undefined : parseSince(flags.since, now);
  if (since === null) return { code: 2, stdout: '', stderr: `--since must be an ISO-8601 time or an age such as 24h\n${USAGE}\n` };
  const limit = z.coerce.number().int().min(1).max(1_000_000).default(10_000).safeParse(flags.limit);
  if (!limit.success) return { code: 2, stdout: '', stderr: `--limit must be a positive integer\n${USAGE}\n` };

  const config = cliConfig(env);
  if (isCliResult(config)) return config;
  const stores = await openStores(config);
  try {
    const lines: string[] = [];
    let afterId: number | undefined;
    // Pages of at most AUDIT_PAGE_MAX until the log or the limit runs out; bounded by `limit`.
    while (lines.length < limit.data) {
      const page = await stores.auditLog.listAuditEvents(scopeId.data, { since, afterId, limit: Math.min(AUDIT_PAGE_MAX, limit.data - lines.length) });
      for (const event of page) lines.push(JSON.stringify(event));
      const last = page[page.length - 1];
      if (last === undefined || page.length < AUDIT_PAGE_MAX) break;
      afterId = last.event_id;
    }
    return { code: 0, stdout: lines.map((line) => `${line}\n`).join(''), stderr: '' };
  } finally {
    await stores.close();
  }
}
