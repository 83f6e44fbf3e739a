/**
 * The Dockerfile and compose.yaml, checked without a container engine (none runs here): they parse,
 * they run what package.json and the README run, and every port and variable they set is one the
 * gateway has.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { configVariables, loadConfig } from '../../src/config/config.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions, continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** `KEY=value KEY2=value2` of an ENV instruction. */
const envOf = (args: string) => Object.fromEntries(args.split(/\s+/).map((pair) => pair.split('=') as [string, string]));

describe('container files', () => {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  const all = instructions(read('Dockerfile'));
  const stages = all.reduce<Instruction[][]>((list, instruction) => (instruction.keyword === 'FROM' ? [...list, [instruction]] : (list.at(-1)!.push(instruction), list)), []);
  const known = new Set(configVariables());
  const defaults = loadConfig({});

  it('should parse as Dockerfile instructions only', () => {
    const keywords = new Set(['FROM', 'WORKDIR', 'RUN', 'COPY', 'ENV', 'VOLUME', 'USER', 'EXPOSE', 'HEALTHCHECK', 'CMD']);
    expect(all.filter((instruction) => !keywords.has(instruction.keyword))).toEqual([]);
  });

  it('should build in one stage and run in another, from the build, as a user that is not root', () => {
    expect(stages).toHaveLength(2);
    const [build, run] = stages as [Instruction[], Instruction[]];
    expect(build[0]!.args).toMatch(/^node:20\S* AS build$/);
    expect(build.map((i) => i.args)).toEqual(expect.arrayContaining(['npm ci --no-audit --no-fund', 'npm run build', 'npm prune --omit=dev']));
    // The build script the image runs is the one package.json defines.
    expect(pkg.scripts.build).toBeDefined();
    expect(run.filter((i) => i.keyword === 'COPY').every((i) => i.args.startsWith('--from=build '))).toBe(true);
    expect(run.filter((i) => i.keyword === 'RUN').map((i) => i.args)).not.toEqual(expect.arrayContaining([expect.stringMatching(/npm (ci|install)/)]));
    const users = run.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users).toHaveLength(1);
    expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
  });

  it('should start what npm start starts, without its build step, and check health on /healthz', () => {
    const run = stages[1]!;
    const cmd = JSON.parse(run.find((i) => i.keyword === 'CMD')!.args) as string[];
    expect(cmd.join(' ')).toBe(pkg.scripts.start);
    expect(pkg.scripts.prestart).toContain('build-if-needed');
    const health = run.find((i) => i.keyword === 'HEALTHCHECK')!.args;
    expect(health).toContain('/healthz');
    expect(read('README.md')).toContain('npm start');
  });

  it('should set only variables the gateway reads, and expose the ports they name', () => {
    const run = stages[1]!;
    const env = Object.assign({}, ...run.filter((i) => i.keyword === 'ENV').map((i) => envOf(i.args))) as Record<string, string>;
    expect(Object.keys(env).filter((name) => name !== 'NODE_ENV' && !known.has(name))).toEqual([]);
    const config = loadConfig(env);
    const exposed = run.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map(Number));
    expect(exposed.sort()).toEqual([config.port, config.metricsPort].sort());
    // The defaults, so the README's ports hold inside the container too; listening on every interface there.
    expect([config.port, config.metricsPort]).toEqual([defaults.port, defaults.metricsPort]);
    expect([config.host, config.metricsHost]).toEqual(['0.0.0.0', '0.0.0.0']);
    expect(run.find((i) => i.keyword === 'VOLUME')!.args).toContain(config.dataDir);
  });

  describe('compose.yaml', () => {
    const compose = parse(read('compose.yaml')) as {
      services: Record<string, { build?: string; image?: string; environment?: Record<string, string>; ports?: string[]; volumes?: string[]; depends_on?: Record<string, unknown>; healthcheck?: unknown }>;
      volumes: Record<string, unknown>;
    };

    it('should run the gateway from this Dockerfile beside Redis and PostgreSQL, each with a named data volume', () => {
      expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'postgres', 'redis']);
      expect(compose.services.gateway!.build).toBe('.');
      for (const service of Object.values(compose.services)) {
        const named = (service.volumes ?? []).map((volume) => volume.split(':')[0]!);
        expect(named.length).toBeGreaterThan(0);
        for (const name of named) expect(compose.volumes).toHaveProperty([name]);
      }
      expect(compose.services.gateway!.volumes).toEqual([`gateway-data:${loadConfig({ DATA_DIR: '/data' }).dataDir}`]);
      expect(Object.keys(compose.services.gateway!.depends_on ?? {}).sort()).toEqual(['postgres', 'redis']);
      expect(compose.services.redis!.healthcheck).toBeDefined();
      expect(compose.services.postgres!.healthcheck).toBeDefined();
    });

    it('should configure the gateway with variables it reads, pointing at the services by name', () => {
      const env = compose.services.gateway!.environment!;
      expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
      const config = loadConfig({ ...env, HOST: '0.0.0.0', METRICS_HOST: '0.0.0.0', DATA_DIR: '/data' });
      expect(new URL(config.redisUrl!).hostname).toBe('redis');
      const database = new URL(config.databaseUrl!);
      expect(database.hostname).toBe('postgres');
      const postgres = compose.services.postgres!.environment!;
      expect([database.username, decodeURIComponent(database.password), database.pathname.slice(1)]).toEqual([postgres.POSTGRES_USER, postgres.POSTGRES_PASSWORD, postgres.POSTGRES_DB]);
    });

    it('should publish the API port, and the metrics port on the host loopback only', () => {
      const ports = compose.services.gateway!.ports!;
      expect(ports).toEqual([`${defaults.port}:${defaults.port}`, `127.0.0.1:${defaults.metricsPort}:${defaults.metricsPort}`]);
    });
  });
});
