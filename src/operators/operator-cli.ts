import { parseArgs } from 'node:util';
import { cliConfig, isCliResult, runAsMain, type CliResult } from '../cli/cli-runner.js';
import { loadSecret } from '../keys/secret-file.js';
import { openStores } from '../stores/open-stores.js';
import { operatorScopeId } from './operator-scope.js';
import { DEFAULT_INVITE_TTL_MINUTES, inviteLink, issueInvite, MAX_INVITE_TTL_MINUTES } from './operator-invites.js';

const USAGE = `usage: npm run -s operator -- <command>
  invite [--ttl-minutes N]   prints a one-time link to register an operator's passkey at /admin
                             (default ${DEFAULT_INVITE_TTL_MINUTES} minutes, at most ${MAX_INVITE_TTL_MINUTES}); only its hash is stored
Uses the same environment (DATA_DIR, DATABASE_URL, PUBLIC_ORIGIN, …) as the server.`;

const options = { 'ttl-minutes': { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

/** `operator invite`: the link on stdout (and nothing else, for scripts), when it expires on stderr. */
export async function runOperatorCli(argv: string[], env: NodeJS.ProcessEnv, now: () => number = Date.now): Promise<CliResult> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true });
  } catch (error) {
    return { code: 2, stdout: '', stderr: `${error instanceof Error ? error.message : String(error)}\n${USAGE}\n` };
  }
  const [command] = parsed.positionals;
  if (parsed.values.help) return { code: 0, stdout: '', stderr: `${USAGE}\n` };
  if (command !== 'invite') return { code: 2, stdout: '', stderr: `${command === undefined ? '' : `unknown command: ${command}\n`}${USAGE}\n` };
  const ttl = Number(parsed.values['ttl-minutes'] ?? DEFAULT_INVITE_TTL_MINUTES);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_INVITE_TTL_MINUTES) {
    return { code: 2, stdout: '', stderr: `--ttl-minutes must be a whole number from 1 to ${MAX_INVITE_TTL_MINUTES}\n` };
  }

  const config = cliConfig(env);
  if (isCliResult(config)) return config;
  const stores = await openStores(config);
  try {
    // The operators' scope's id comes from the identifier secret, as the gateway's does (operator-scope.ts).
    const scopeId = operatorScopeId(await loadSecret(config.identifierSecretFile));
    const { token, expiresAt } = await issueInvite(stores.operatorInvites, { now: now(), ttlMinutes: ttl, operatorScopeId: scopeId });
    const warning = config.adminConsole ? '' : 'note: ADMIN_CONSOLE is off: the gateway serves /admin only with ADMIN_CONSOLE=on\n';
    return { code: 0, stdout: `${inviteLink(config.publicOrigin, token)}\n`, stderr: `${warning}one registration, until ${expiresAt}\n` };
  } finally {
    await stores.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) runAsMain((argv, env) => runOperatorCli(argv, env));
