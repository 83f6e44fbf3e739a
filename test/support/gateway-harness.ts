import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log/logger.js';
import { scopeSettingsSchema, type Scope, type ScopeSettingsInput } from '../../src/domain/scope.js';
import { databaseUrl, redisUrl } from './backends.js';
import { deleteRedisPrefix, dropPostgresSchema } from '../../scripts/lib/local-services.js';

export type Backend = 'embedded' | 'redis+postgres';

export interface Harness {
  gateway: Gateway;
  url: string;
  publicKey: string;
  dataDir: string;
  /** The environment the gateway was configured from, for running the CLIs against the same stores. */
  env: Record<string, string>;
  /** Creates a scope in the store; unless `refresh` is false the gateway's scope cache reloads at once. */
  createScope(settings?: Partial<ScopeSettingsInput>, options?: { refresh?: boolean }): Promise<Scope>;
  close(): Promise<void>;
}

export const TEST_ORIGIN = 'http://localhost:8788';

/**
 * A gateway on a random loopback port (its metrics listener on another) through the real composition root, with its own data
 * directory and, on the real backends, its own Redis key prefix and PostgreSQL schema.
 */
export async function startGateway(
  backend: Backend = 'embedded',
  env: Record<string, string> = {},
  options: GatewayOptions & { /** Where the log lines go (the production logger, redaction included); stdout by default. */ logDestination?: DestinationStream } = {},
): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pkgw-test-'));
  const schema = `pkgw_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const gatewayEnv: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    METRICS_PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(backend === 'redis+postgres'
      ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `pkgw-test:${randomUUID()}:`, DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema }
      : {}),
    ...env,
  };
  const config = loadConfig(gatewayEnv);
  const { logDestination, ...gatewayOptions } = options;
  const log = createLogger(config.logLevel, logDestination);
  const gateway = await createGateway(config, log, gatewayOptions);
  const url = await gateway.listen();
  return {
    gateway,
    url,
    publicKey: gateway.rsaKeys.current.publicKeySpki,
    dataDir,
    env: gatewayEnv,
    async createScope(settings = {}, { refresh = true } = {}) {
      const parsed = scopeSettingsSchema.parse({ name: 'test', rp_id: 'localhost', origins: [TEST_ORIGIN], ...settings });
      const scope = await gateway.stores.scopes.createScope({ ...parsed, rp_name: parsed.rp_name ?? parsed.name, scope_id: randomUUID() });
      if (refresh) await gateway.scopes.refresh();
      return scope;
    },
    async close() {
      await gateway.close();
      if (backend === 'redis+postgres') {
        await dropPostgresSchema(databaseUrl, schema);
        await deleteRedisPrefix(gatewayEnv.REDIS_URL!, gatewayEnv.REDIS_KEY_PREFIX!);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
