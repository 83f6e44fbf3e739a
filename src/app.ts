import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { createDemoRoutes } from './demo/demo-routes.js';
import { createCeremonyRateLimiter } from './abuse/ceremony-rate-limiter.js';
import { loadAdminAuthorizer } from './admin/admin-token.js';
import { createAuditRecorder } from './audit/audit-recorder.js';
import { createDecoyShapeCache } from './authentication/decoy-shape-cache.js';
import { workerClientKeyChannel } from './cluster/cluster-channel.js';
import { shareClientKeys } from './envelope/client-key.js';
import { drainServer } from './http/drain-server.js';
import { createHttpServer } from './http/http-server.js';
import { createGatewayMetrics } from './metrics/gateway-metrics.js';
import { loadRsaKeyRing, type RsaKeyRing } from './keys/rsa-key-ring.js';
import { loadSecret } from './keys/secret-file.js';
import { loadSessionKeyRing } from './keys/session-key-ring.js';
import { createSessionService } from './sessions/session-service.js';
import { buildMethods } from './rpc/methods.js';
import { createRpcDispatcher } from './rpc/rpc-dispatcher.js';
import { ensureDevelopmentScope } from './scopes/development-scope.js';
import { createScopeRegistry, type ScopeRegistry } from './scopes/scope-registry.js';
import { guardStore } from './stores/guard-store.js';
import { openStores, type Stores } from './stores/open-stores.js';
import { checkReadiness } from './stores/store-readiness.js';

export interface Gateway {
  server: Server;
  stores: Stores;
  rsaKeys: RsaKeyRing;
  scopes: ScopeRegistry;
  developmentScopeId: string | null;
  /** Starts listening; resolves to the base URL. */
  listen(): Promise<string>;
  /** Stops; with `graceMs`, requests in flight get that long to finish before connections are cut. */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface GatewayOptions {
  stores?: Stores;
  /** The clock sessions are issued and checked against (tests move it). */
  now?: () => number;
}

/** The composition root's work, shared by `main.ts` and the tests: keys, stores, methods, HTTP. */
export async function createGateway(config: Config, log: Logger, options: GatewayOptions = {}): Promise<Gateway> {
  const now = options.now ?? Date.now;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const rsaKeys = await loadRsaKeyRing({ privateKeyFile: config.rsaPrivateKeyFile, previousKeyFiles: config.rsaPreviousKeyFiles, bits: config.rsaKeyBits });
  // Under WORKERS > 1, workers share the client keys they unwrap (see cluster/cluster-channel.ts).
  const keyChannel = workerClientKeyChannel();
  const stopSharingKeys = keyChannel === undefined ? () => {} : shareClientKeys(rsaKeys, keyChannel);
  const sessionKeys = await loadSessionKeyRing({ keyFile: config.sessionKeyFile, previousKeyFiles: config.sessionPreviousKeyFiles });
  const identifierSecret = await loadSecret(config.identifierSecretFile);
  const accountKeySecret = await loadSecret(config.accountKeySecretFile);
  const stores = options.stores ?? (await openStores(config));
  const metrics = createGatewayMetrics();
  const accounts = guardStore(stores.accounts, {
    timeoutMs: config.serviceTimeoutMs,
    observe: (operation, seconds, outcome) => metrics.observeStore('accounts', operation, seconds, outcome),
  });
  const challenges = guardStore(stores.challenges, {
    timeoutMs: config.serviceTimeoutMs,
    observe: (operation, seconds, outcome) => metrics.observeStore('challenges', operation, seconds, outcome),
  });
  const audit = createAuditRecorder({ accounts, now, onWriteFailure: () => metrics.auditWriteFailed() });
  const rateLimiter = createCeremonyRateLimiter({
    redis: stores.redis ?? null,
    keyPrefix: config.redisKeyPrefix,
    defaults: { ipPerMinute: config.rateLimitIpPerMinute, userPerMinute: config.rateLimitUserPerMinute },
  });
  // No token file, no admin methods: their names are then unknown (method_not_found).
  const authorizeAdmin = config.adminTokenFile === undefined ? undefined : await loadAdminAuthorizer(config.adminTokenFile);
  let draining = false;
  const sessions = createSessionService({ keys: sessionKeys, issuer: config.sessionIssuer, revocations: challenges, now });

  const developmentScopeId = await ensureDevelopmentScope(accounts, config);
  const scopes = await createScopeRegistry({ store: accounts, extraOrigins: config.allowedOrigins, log });
  const decoyShapes = createDecoyShapeCache({ accounts, log });
  const methods = buildMethods({
    accounts, challenges, rsaKeys, sessions, identifierSecret, accountKeySecret, decoyShapes, now,
    rateLimiter, audit, scopes, admin: authorizeAdmin !== undefined,
  });
  const rpc = createRpcDispatcher({ methods, scopes, rsaKeys, sessions, accounts, rateLimiter, authorizeAdmin, onCall: metrics.observeCall });
  const server = createHttpServer({
    rpc,
    scopes,
    log,
    getRoutes: {
      '/healthz': async () => ({ status: 200, body: { status: 'ok' } }),
      '/readyz': async () => {
        if (draining) return { status: 503, body: { status: 'draining' } };
        const readiness = await checkReadiness({ accounts, challenges });
        return { status: readiness.ready ? 200 : 503, body: { status: readiness.ready ? 'ready' : 'unavailable', stores: readiness.stores } };
      },
      '/.well-known/jwks.json': async () => ({ status: 200, body: sessions.jwks() }),
    },
    pageRoutes: {
      ...(config.demo ? createDemoRoutes({ publicKey: rsaKeys.current.publicKeySpki, defaultScopeId: developmentScopeId }) : {}),
      '/metrics': async () => {
        const { contentType, text } = await metrics.render();
        return { status: 200, headers: { 'Content-Type': contentType }, body: text };
      },
    },
    trustProxyHops: config.trustProxyHops,
  });

  return {
    server,
    stores,
    rsaKeys,
    scopes,
    developmentScopeId,
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const { port } = server.address() as AddressInfo;
          const host = config.host.includes(':') ? `[${config.host}]` : config.host;
          resolve(`http://${host === '127.0.0.1' ? 'localhost' : host}:${port}`);
        });
      });
    },
    async close({ graceMs = 0 } = {}) {
      draining = true;
      await drainServer(server, graceMs);
      scopes.close();
      decoyShapes.close();
      stopSharingKeys();
      await Promise.allSettled([stores.challenges.close(), stores.accounts.close()]);
    },
  };
}
