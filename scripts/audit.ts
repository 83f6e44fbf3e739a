// Operators' view of a scope's audit log, straight from the account store (no running server needed).
//   npm run -s audit -- --scope SCOPE_ID [--since ISO-8601 | 24h | 7d] [--limit N]
import { runAuditCli } from '../src/audit/audit-cli.js';
import { runAsMain } from '../src/cli/cli-runner.js';

runAsMain((argv, env) => runAuditCli(argv, env));
