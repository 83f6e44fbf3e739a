// Operators' view of a scope's audit log, straight from the account store (no running server needed).
//   npm run -s audit -- --scope SCOPE_ID [--since ISO-8601 | 24h | 7d] [--limit N]
import { runAuditCli } from '../src/audit/audit-cli.js';

runAuditCli(process.argv.slice(2), process.env).then(
  ({ code, stdout, stderr }) => {
    process.stdout.write(stdout);
    process.stderr.write(stderr);
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
