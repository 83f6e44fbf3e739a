import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { createDemoRoutes } from './demo/demo-routes.js';
import { createRateLimiter } from './rate-limits/rate-limiter.js';
import { loadAdminAuthorizer } from './keys/admin-token.js';
import { createAuditRecorder } from './audit/audit-recorder.js';
import { createAssertionVerifier } from './authentication/assertion-verifier.js';
import { loadAuthenticatorMetadata, type AuthenticatorMetadata } from './attestation/authenticator-metadata.js';
import { createDecoyPublicKey } from './authentication/decoy-credentials.js';
import { createDecoyShapeCache } from './authentication/decoy-shape-cache.js';
import { RandomPool } from './keys/random-pool.js';
import { createCallPipeline } from './rpc/call-pipeline.js';
import { createCallerAuthenticator } from './rpc/callers.js';
import { createDelegateSignatures } from './delegation/delegate-signatures.js';
import { workerClientKeyChannel } from './cluster/cluster-channel.js';
import { createClientKeys, type ClientKeys } from './envelope/client-key.js';
import { drainServer } from './http/drain-server.js';
import { createHttpServer } from './http/http-server.js';
import { createGatewayMetrics } from './metrics/gateway-metrics.js';
import { createMetricsServer } from './metrics/metrics-server.js';
import { loadRsaKeyRing, type RsaKeyRing } from './keys/rsa-key-ring.js';
import { loadSecret } from './keys/secret-file.js';
import { loadSessionKeyRing } from './keys/session-key-ring.js';
import { createSessionService } from './sessions/session-service.js';
import { buildMethods } from './methods.js';
import { buildOpenRpcDocument } from './openrpc.js';
import { packageVersion } from './package-version.js';
import { discover } from './public-methods/discover.js';
import { createRpcDispatcher } from './rpc/rpc-dispatcher.js';
import { ensureDevelopmentScope } from './scopes/development-scope.js';
import { createConsoleRoutes } from './operators/console-routes.js';
import { ensureOperatorScope } from './operators/operator-scope.js';
import { createScopeRegistry, type ScopeRegistry } from './scopes/scope-registry.js';
import { hostName } from './scopes/related-origins.js';
import { guardStore } from './stores/guard-store.js';
import { createCallTracing, noTracing } from './tracing/call-tracing.js';
import { openStores, type StoreName, type Stores } from './stores/open-stores.js';
import { checkReadiness } from './stores/store-readiness.js';
import { addressClassifier } from './webhooks/address-guard.js';
import { startDeliveryLoop, type DeliveryLoop } from './webhooks/delivery-loop.js';
import { webhookSecretBox } from './webhooks/webhook-secret.js';

export interface Gateway {
  server: Server;
  /** The metrics listener (METRICS_HOST:METRICS_PORT), serving GET /metrics only. */
  metricsServer: Server;
  stores: Stores;
  rsaKeys: RsaKeyRing;
  /** This gateway's client keys: unwrapping X-Encrypted-Key and its cache. */
  clientKeys: ClientKeys;
  scopes: ScopeRegistry;
  /** The FIDO metadata BLOB in force (MDS_BLOB_FILE), reloaded when the file changes. */
  metadata: AuthenticatorMetadata;
  developmentScopeId: string | null;
  /** The operators' scope (ADMIN_CONSOLE on): the console's passkeys and sessions; null otherwise. */
  operatorScopeId: string | null;
  /** Starts both listeners; resolves to the public base URL. */
  listen(): Promise<string>;
  /** The URL of GET /metrics once listening, e.g. http://localhost:9546/metrics; undefined before. */
  readonly metricsUrl: string | undefined;
  /** Stops; with `graceMs`, requests in flight get that long to finish before connections are cut. */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface GatewayOptions {
  stores?: Stores;
  /** The clock sessions are issued and checked against (tests move it). */
  now?: () => number;
  /** Where spans go instead of the OTLP exporter (tests); with it, tracing is on whatever the environment says. */
  spanProcessor?: SpanProcessor;
}

/** The composition root's work, shared by `main.ts` and the tests: keys, stores, methods, HTTP. */
export async function createGateway(config: Config, log: Logger, options: GatewayOptions = {}): Promise<Gateway> {
  const now = options.now ?? Date.now;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const rsaKeys = await loadRsaKeyRing({ privateKeyFile: config.rsaPrivateKeyFile, previousKeyFiles: config.rsaPreviousKeyFiles, bits: config.rsaKeyBits });
  // Under WORKERS > 1, workers share the client keys they unwrap (see cluster/cluster-channel.ts).
  const clientKeys = createClientKeys(rsaKeys, { channel: workerClientKeyChannel() });
  const sessionKeys = await loadSessionKeyRing({ keyFile: config.sessionKeyFile, previousKeyFiles: config.sessionPreviousKeyFiles });
  const identifierSecret = await loadSecret(config.identifierSecretFile);
  const accountKeySecret = await loadSecret(config.accountKeySecretFile);
  // Before anything that runs timers: a BLOB that does not verify stops the start here.
  const metadata = await loadAuthenticatorMetadata({
    blobFile: config.mdsBlobFile,
    rootCertFile: config.mdsRootCertFile,
    signerName: config.mdsSignerName,
    log,
    now,
  });
  const metrics = createGatewayMetrics({ unwrapStats: () => clientKeys.stats() });
  const stores = options.stores ?? (await openStores(config, { onChallengeEviction: (bound) => metrics.challengeEvicted(bound) }));
  // Each store bounded in time and measured under its own name; each feature gets the ones it needs.
  const tracing = createCallTracing(config.tracing, { spanProcessor: options.spanProcessor });
  const traced = tracing === noTracing ? undefined : tracing;
  const guard = <T extends object>(store: T, name: StoreName): T =>
    guardStore(store, {
      timeoutMs: config.serviceTimeoutMs,
      observe: (operation, seconds, outcome) => metrics.observeStore(name, operation, seconds, outcome),
      trace: traced && ((operation, work) => traced.child(`store ${name}.${operation}`, work)),
    });
  const scopeStore = guard(stores.scopes, 'scopes');
  const accounts = guard(stores.accounts, 'accounts');
  const auditLog = guard(stores.auditLog, 'audit_log');
  const sessionStore = guard(stores.sessions, 'sessions');
  const delegates = guard(stores.delegates, 'delegates');
  const apiKeys = guard(stores.apiKeys, 'api_keys');
  const tokens = guard(stores.tokens, 'tokens');
  const recoveryCodes = guard(stores.recoveryCodes, 'recovery_codes');
  const operatorInvites = guard(stores.operatorInvites, 'operator_invites');
  const webhooks = guard(stores.webhooks, 'webhooks');
  const webhookSecrets = webhookSecretBox(identifierSecret);
  const classifyAddress = addressClassifier();
  const challenges = guard(stores.challenges, 'challenges');
  const backends = { accounts: guard(stores.backends.accounts, 'accounts'), challenges: guard(stores.backends.challenges, 'challenges') };
  const audit = createAuditRecorder({ auditLog, now, onWriteFailure: () => metrics.auditWriteFailed() });
  const rateLimiter = createRateLimiter({
    counters: guard(stores.rateLimits, 'rate_limits'),
    defaults: {
      ipPerMinute: config.rateLimitIpPerMinute,
      userPerMinute: config.rateLimitUserPerMinute,
      signingPerMinute: config.rateLimitSigningPerMinute,
      apiKeyPerMinute: config.rateLimitApiKeyPerMinute,
    },
  });
  // No token file, no admin methods: their names are then unknown (method_not_found).
  const authorizeAdmin = config.adminTokenFile === undefined ? undefined : await loadAdminAuthorizer(config.adminTokenFile);
  let draining = false;
  const sessions = createSessionService({ keys: sessionKeys, issuer: config.sessionIssuer, sessionStore, now });

  const developmentScopeId = await ensureDevelopmentScope(scopeStore, config);
  // After the development scope, which is made only where no scope exists yet.
  const operatorScopeId = config.adminConsole ? (await ensureOperatorScope(scopeStore, { identifierSecret, publicOrigin: config.publicOrigin })).scope_id : null;
  // Pages of one origin share their storage: the demo's scripts could use the console's key and session.
  if (operatorScopeId !== null && config.demo) log.warn('ADMIN_CONSOLE=on with DEMO=on: the demo shares the console\'s origin; set DEMO=off where operators sign in');
  const scopes = await createScopeRegistry({ store: scopeStore, extraOrigins: config.allowedOrigins, log });
  const decoyShapes = createDecoyShapeCache({ accounts, log, now });
  const delegateSignatures = createDelegateSignatures({ delegates, now });
  // One pool of random bytes for the ceremony path (IVs, challenges, token secrets): see random-pool.ts.
  const random = new RandomPool();
  const methods = buildMethods({
    random, accounts, challenges, scopeStore, auditLog, rsaKeys, sessions, identifierSecret, accountKeySecret, decoyShapes, now,
    decoyPublicKey: createDecoyPublicKey(), assertions: createAssertionVerifier(), audit, metadata, scopes,
    admin: authorizeAdmin !== undefined || operatorScopeId !== null, delegates, delegateSignatures, rateLimiter, tracing, apiKeys, tokens, recoveryCodes,
    operatorScopeId, operatorInvites,
    webhooks, webhookSecrets, classifyAddress, allowLoopbackWebhooks: config.webhooks.allowLoopback,
  });
  // The OpenRPC document describes every method but itself (OpenRPC's convention); built on first ask.
  let openRpcDocument: Record<string, unknown> | undefined;
  const discoverMethod = discover(() => (openRpcDocument ??= buildOpenRpcDocument(packageVersion())));
  // Admin and server methods take the admin token, an API key (server methods) or an operator's console session.
  const callers = createCallerAuthenticator({ authorizeAdmin, apiKeys, operatorScopeId: operatorScopeId ?? undefined, now });
  const pipeline = createCallPipeline({ scopes, clientKeys, sessions, rateLimiter, callers, audit, delegates: delegateSignatures, random });
  const rpc = createRpcDispatcher({ methods: [...methods, discoverMethod], pipeline, tracing: traced, onCall: (method, outcome, seconds) => metrics.observeCall(method, outcome, seconds) });
  const server = createHttpServer({
    rpc,
    scopes,
    log,
    getRoutes: {
      '/healthz': () => ({ status: 200, body: { status: 'ok' } }),
      '/readyz': async () => {
        if (draining) return { status: 503, body: { status: 'draining' } };
        const readiness = await checkReadiness(backends);
        return { status: readiness.ready ? 200 : 503, body: { status: readiness.ready ? 'ready' : 'unavailable', stores: readiness.stores } };
      },
      '/.well-known/jwks.json': () => ({ status: 200, body: sessions.jwks() }),
      // WebAuthn related origins, for a request to a host that is some scope's RP id.
      '/.well-known/webauthn': ({ host }) => {
        const name = hostName(host);
        const document = name === undefined ? null : scopes.relatedOrigins(name);
        return document === null ? { status: 404, body: { error: 'not_found' } } : { status: 200, body: document };
      },
    },
    pageRoutes: {
      ...(config.demo ? createDemoRoutes({ publicKey: rsaKeys.current.publicKeySpki, defaultScopeId: developmentScopeId }) : {}),
      ...(operatorScopeId === null ? {} : createConsoleRoutes({ publicKey: rsaKeys.current.publicKeySpki, operatorScopeId })),
    },
    trustProxyHops: config.trustProxyHops,
  });
  // Metrics have a listener of their own, on loopback unless METRICS_HOST says otherwise.
  const metricsServer = createMetricsServer({ metrics, log });
  let metricsUrl: string | undefined;
  // Started with the listeners, stopped before the stores close (see close()).
  let deliveries: DeliveryLoop | undefined;

  return {
    server,
    metricsServer,
    stores,
    rsaKeys,
    clientKeys,
    scopes,
    metadata,
    developmentScopeId,
    operatorScopeId,
    get metricsUrl() {
      return metricsUrl;
    },
    async listen() {
      // One after the other, in the same order in every worker: node:cluster pairs up the workers'
      // listeners by the order they open them, which matters when both ports are 0.
      const url = await listenOn(server, config.port, config.host);
      try {
        metricsUrl = `${await listenOn(metricsServer, config.metricsPort, config.metricsHost)}/metrics`;
      } catch (error) {
        server.close();
        throw error;
      }
      // The outbox is read straight from the store: a slow receiver must not count as a store timeout.
      deliveries ??= startDeliveryLoop({
        store: stores.webhooks,
        secrets: webhookSecrets,
        classify: classifyAddress,
        settings: { ...config.webhooks, batchSize: 20 },
        log,
        now: Date.now,
        onOutcome: (outcome) => metrics.webhookAttempted(outcome),
      });
      return url;
    },
    async close({ graceMs = 0 } = {}) {
      draining = true;
      await Promise.all([drainServer(server, graceMs), drainServer(metricsServer, graceMs), deliveries?.stop()]);
      scopes.close();
      decoyShapes.close();
      metadata.close();
      clientKeys.close();
      metrics.close();
      await Promise.all([stores.close(), tracing.shutdown()]);
    },
  };
}

/** Listens on `host:port` (port 0: any free one); resolves to the base URL, localhost for 127.0.0.1. */
function listenOn(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve(`http://${shown === '127.0.0.1' ? 'localhost' : shown}:${bound}`);
    });
  });
}
