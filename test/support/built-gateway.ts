import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

/** Builds dist/ if any source is newer, as `npm start` does. */
export function buildGateway(): void {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { cwd: root, stdio: 'ignore' });
}

export interface BuiltGateway {
  child: ChildProcess;
  /** Everything the process printed on stdout so far. */
  stdout(): string;
  /** Resolves once stdout contains `text` (or `until` holds), failing after `timeoutMs`. */
  waitFor(text: string, timeoutMs?: number, until?: () => boolean): Promise<void>;
  /** The exit code, once the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Runs the built gateway (`dist/src/main.js`) as its own process with only the given environment
 * (plus PATH, and METRICS_PORT=0 unless given, so suites running side by side never share a port).
 */
export function spawnBuiltGateway(env: Record<string, string>): BuiltGateway {
  const child = spawn(process.execPath, [join(root, 'dist', 'src', 'main.js')], {
    cwd: root,
    env: { PATH: process.env.PATH, METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => stdout,
    exited,
    async waitFor(text, timeoutMs = 20_000, until = () => true) {
      const deadline = Date.now() + timeoutMs;
      while (!(stdout.includes(text) && until()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      if (!stdout.includes(text)) throw new Error(`gateway did not print "${text}" within ${timeoutMs} ms`);
    },
  };
}
