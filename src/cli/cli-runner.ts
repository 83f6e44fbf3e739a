import { ConfigError, loadConfig, type Config } from '../config/config.js';

/** What a command-line tool produced: kept as values so tests can call the tool in-process. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The server's configuration for a CLI, or the exit-2 result that names the bad variable. */
export function cliConfig(env: NodeJS.ProcessEnv): Config | CliResult {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return { code: 2, stdout: '', stderr: `${error.message}\n` };
    throw error;
  }
}

export function isCliResult(value: Config | CliResult): value is CliResult {
  return 'code' in value && 'stderr' in value;
}

/** Runs a tool as the process's main program: prints its output and sets the exit code. */
export function runAsMain(run: (argv: string[], env: NodeJS.ProcessEnv) => Promise<CliResult>): void {
  run(process.argv.slice(2), process.env).then(
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
}
