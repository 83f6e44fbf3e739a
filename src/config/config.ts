import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { isCanonicalWebOrigin } from '../domain/scope.js';

const optionalPath = z
  .string()
  .trim()
  .min(1)
  .optional();

const urlWithProtocols = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

const originList = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
  .pipe(
    z.array(
      z.string().refine((value) => {
        try {
          return new URL(value).origin === value;
        } catch {
          return false;
        }
      }, 'each entry must be an origin such as http://localhost:3000'),
    ),
  );

// `host:port` or `redis://[user:password@]host:port` seeds of a Redis Cluster; the rest is discovered.
const clusterNodeList = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
  .pipe(
    z
      .array(
        z.string().transform((value, ctx) => {
          try {
            const url = new URL(value.includes('://') ? value : `redis://${value}`);
            if ((url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' && url.port !== '') return url.toString();
          } catch {
            // reported below
          }
          ctx.addIssue({ code: 'custom', message: 'each entry must be host:port or redis://host:port' });
          return z.NEVER;
        }),
      )
      .max(100),
  );

const pathList = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));

/** Every environment variable the gateway reads; nothing else in the code reads process.env. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(9545),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9546),
  // Loopback unless asked: the metrics describe traffic and are not for the public.
  METRICS_HOST: z.string().trim().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().trim().min(1).default('./data'),
  REDIS_URL: urlWithProtocols(['redis:', 'rediss:']).optional(),
  REDIS_KEY_PREFIX: z.string().max(100).default('pkgw:'),
  REDIS_CLUSTER_NODES: clusterNodeList,
  // Unset: the number of cores where challenges are shared (see effectiveWorkers).
  WORKERS: z.coerce.number().int().min(1).max(256).optional(),
  DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:']).optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ALLOWED_ORIGINS: originList,
  RSA_KEY_BITS: z
    .enum(['2048', '3072', '4096'])
    .default('2048')
    .transform((bits) => Number(bits) as 2048 | 3072 | 4096),
  RSA_PRIVATE_KEY_FILE: optionalPath,
  RSA_PREVIOUS_KEY_FILES: pathList,
  IDENTIFIER_SECRET_FILE: optionalPath,
  ACCOUNT_KEY_SECRET_FILE: optionalPath,
  SESSION_KEY_FILE: optionalPath,
  SESSION_PREVIOUS_KEY_FILES: pathList,
  SESSION_ISSUER: z.string().trim().min(1).max(200).default('passkey-gateway'),
  ADMIN_TOKEN_FILE: optionalPath,
  SERVICE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
  RATE_LIMIT_IP_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(300),
  RATE_LIMIT_USER_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(30),
  RATE_LIMIT_SIGNING_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(60),
  RATE_LIMIT_API_KEY_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(600),
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  MEMORY_CHALLENGE_LIMIT: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  MEMORY_CHALLENGE_LIMIT_PER_IP: z.coerce.number().int().min(1).max(10_000_000).default(1000),
  DEMO: z.enum(['on', 'off']).default('on'),
  // The operators' console at GET /admin, with its own scope of passkeys (see operators/).
  ADMIN_CONSOLE: z.enum(['on', 'off']).default('off'),
  // The origin browsers reach this gateway at (scheme, host, port): the console's WebAuthn origin and invite links.
  PUBLIC_ORIGIN: z
    .string()
    .trim()
    .refine(isCanonicalWebOrigin, 'must be an origin such as https://passkeys.example.com (scheme, host and port only)')
    // Its host becomes the operators' scope's RP id, and WebAuthn takes no IP address as one.
    .refine((value) => URL.canParse(value) && isIP(new URL(value).hostname.replace(/^\[|\]$/g, '')) === 0, 'must name a host, not an IP address (WebAuthn RP ids are domain names)')
    .optional(),
  MDS_BLOB_FILE: optionalPath,
  MDS_ROOT_CERT_FILE: optionalPath,
  // A DNS name, compared exactly (no wildcard) with the BLOB signer's subject CN and DNS SANs.
  MDS_SIGNER_NAME: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, 'must be a DNS name such as mds.fidoalliance.org')
    // The FIDO Metadata Service signs its BLOB under this name.
    .default('mds.fidoalliance.org'),
  // OpenTelemetry's standard variables: tracing is on when an OTLP endpoint is set.
  OTEL_EXPORTER_OTLP_ENDPOINT: urlWithProtocols(['http:', 'https:']).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: urlWithProtocols(['http:', 'https:']).optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).max(200).default('passkey-gateway'),
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).default('false'),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none']).default('otlp'),
  // Development only: webhooks to loopback addresses (and http:// to them). Off, every endpoint is https:// to a public address.
  WEBHOOK_ALLOW_LOOPBACK: z.enum(['on', 'off']).default('off'),
  WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(5000),
  WEBHOOK_RETRY_MAX_DELAY_MS: z.coerce.number().int().min(10).max(86_400_000).default(3_600_000),
  // How long a delivery is retried, from its event, before it is marked failed (default 24 hours).
  WEBHOOK_RETRY_FOR_MS: z.coerce.number().int().min(100).max(30 * 86_400_000).default(86_400_000),
}).superRefine((env, ctx) => {
  if (env.WEBHOOK_RETRY_MAX_DELAY_MS < env.WEBHOOK_RETRY_BASE_MS) {
    ctx.addIssue({ code: 'custom', path: ['WEBHOOK_RETRY_MAX_DELAY_MS'], message: 'must be at least WEBHOOK_RETRY_BASE_MS' });
  }
  // Caught here rather than as EADDRINUSE at start, which would not say which setting clashes.
  if (env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT && env.METRICS_HOST === env.HOST) {
    ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from PORT when METRICS_HOST is HOST' });
  }
});

/** The names of every environment variable the gateway reads (for deployment files and their checks). */
export function configVariables(): string[] {
  return Object.keys(envSchema.shape);
}

export type Config = {
  port: number;
  host: string;
  /** The metrics listener's port (0: any free one) and address; GET /metrics is served only there. */
  metricsPort: number;
  metricsHost: string;
  dataDir: string;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  /** Seed nodes of a Redis Cluster (normalised redis:// URLs); when non-empty they replace redisUrl. */
  redisClusterNodes: string[];
  /** Gateway processes to run through node:cluster (1: no cluster at all); undefined when WORKERS is unset. */
  workers: number | undefined;
  databaseUrl: string | undefined;
  databaseSchema: string | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  allowedOrigins: string[];
  rsaKeyBits: 2048 | 3072 | 4096;
  rsaPrivateKeyFile: string;
  rsaPreviousKeyFiles: string[];
  identifierSecretFile: string;
  accountKeySecretFile: string;
  sessionKeyFile: string;
  sessionPreviousKeyFiles: string[];
  sessionIssuer: string;
  /** File holding the admin bearer token; undefined: the admin methods do not exist. */
  adminTokenFile: string | undefined;
  /** Longest a store call may take before the request fails with service_unavailable. */
  serviceTimeoutMs: number;
  /** How long SIGTERM waits for in-flight requests before closing their connections. */
  shutdownGraceMs: number;
  /** Default ceremony calls per minute per scope and client IP / username (0: no limit); scopes may override. */
  rateLimitIpPerMinute: number;
  rateLimitUserPerMinute: number;
  /** Default signatures per minute per account (0: no limit); scopes may override. */
  rateLimitSigningPerMinute: number;
  /** Server calls per minute per API key (0: no limit). */
  rateLimitApiKeyPerMinute: number;
  /** Reverse proxies in front of the gateway whose X-Forwarded-For entries are trusted (0: use the socket address). */
  trustProxyHops: number;
  /** Whether GET /demo serves the demo app. */
  demo: boolean;
  /** Whether GET /admin serves the operators' console, whose operators sign in with passkeys of the operators' scope. */
  adminConsole: boolean;
  /** The gateway's public origin (PUBLIC_ORIGIN; default http://localhost:PORT): the operators' scope's origin and RP id. */
  publicOrigin: string;
  /** Bounds of the in-process challenge store (unused with Redis): pending ceremonies in all, and per client address. */
  memoryChallengeLimit: number;
  memoryChallengeLimitPerIp: number;
  /** The FIDO Metadata Service (MDS3) BLOB that verified attestation relies on; undefined: none (no attestation verifies). */
  mdsBlobFile: string | undefined;
  /** PEM of the roots the BLOB must chain to; undefined: the FIDO root shipped with the gateway. */
  mdsRootCertFile: string | undefined;
  /** The name (subject CN or DNS SAN) of the end-entity certificate that must sign the BLOB. */
  mdsSignerName: string;
  /**
   * OTLP/HTTP trace export: the traces URL (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, or
   * OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces); undefined: tracing off.
   */
  tracing: { tracesEndpoint: string | undefined; serviceName: string };
  /** Webhook delivery: the guard's development exception, the poll interval, each attempt's bound and the retry schedule. */
  webhooks: {
    allowLoopback: boolean;
    pollIntervalMs: number;
    timeoutMs: number;
    retry: { baseDelayMs: number; maxDelayMs: number; retryForMs: number };
  };
};

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): Config {
  // Empty strings mean "not set", as in most shells' `VAR=` idiom.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
    dataDir,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    workers: e.WORKERS,
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.DATABASE_SCHEMA,
    logLevel: e.LOG_LEVEL,
    allowedOrigins: e.ALLOWED_ORIGINS,
    rsaKeyBits: e.RSA_KEY_BITS,
    rsaPrivateKeyFile: resolve(e.RSA_PRIVATE_KEY_FILE ?? `${dataDir}/rsa-private-key.pem`),
    rsaPreviousKeyFiles: e.RSA_PREVIOUS_KEY_FILES.map((path) => resolve(path)),
    identifierSecretFile: resolve(e.IDENTIFIER_SECRET_FILE ?? `${dataDir}/identifier-secret`),
    accountKeySecretFile: resolve(e.ACCOUNT_KEY_SECRET_FILE ?? `${dataDir}/account-key-secret`),
    sessionKeyFile: resolve(e.SESSION_KEY_FILE ?? `${dataDir}/session-key.pem`),
    sessionPreviousKeyFiles: e.SESSION_PREVIOUS_KEY_FILES.map((path) => resolve(path)),
    sessionIssuer: e.SESSION_ISSUER,
    adminTokenFile: e.ADMIN_TOKEN_FILE === undefined ? undefined : resolve(e.ADMIN_TOKEN_FILE),
    serviceTimeoutMs: e.SERVICE_TIMEOUT_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    rateLimitIpPerMinute: e.RATE_LIMIT_IP_PER_MINUTE,
    rateLimitUserPerMinute: e.RATE_LIMIT_USER_PER_MINUTE,
    rateLimitSigningPerMinute: e.RATE_LIMIT_SIGNING_PER_MINUTE,
    rateLimitApiKeyPerMinute: e.RATE_LIMIT_API_KEY_PER_MINUTE,
    trustProxyHops: e.TRUST_PROXY_HOPS,
    demo: e.DEMO === 'on',
    adminConsole: e.ADMIN_CONSOLE === 'on',
    publicOrigin: e.PUBLIC_ORIGIN ?? `http://localhost:${e.PORT}`,
    memoryChallengeLimit: e.MEMORY_CHALLENGE_LIMIT,
    memoryChallengeLimitPerIp: e.MEMORY_CHALLENGE_LIMIT_PER_IP,
    mdsBlobFile: e.MDS_BLOB_FILE === undefined ? undefined : resolve(e.MDS_BLOB_FILE),
    mdsRootCertFile: e.MDS_ROOT_CERT_FILE === undefined ? undefined : resolve(e.MDS_ROOT_CERT_FILE),
    mdsSignerName: e.MDS_SIGNER_NAME,
    tracing: { tracesEndpoint: tracesEndpoint(e), serviceName: e.OTEL_SERVICE_NAME },
    webhooks: {
      allowLoopback: e.WEBHOOK_ALLOW_LOOPBACK === 'on',
      pollIntervalMs: e.WEBHOOK_POLL_INTERVAL_MS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retry: { baseDelayMs: e.WEBHOOK_RETRY_BASE_MS, maxDelayMs: e.WEBHOOK_RETRY_MAX_DELAY_MS, retryForMs: e.WEBHOOK_RETRY_FOR_MS },
    },
  };
}

/** Where traces go, as the OTel specification reads its variables; undefined when tracing is off. */
function tracesEndpoint(e: z.infer<typeof envSchema>): string | undefined {
  if (e.OTEL_SDK_DISABLED === 'true' || e.OTEL_TRACES_EXPORTER === 'none') return undefined;
  if (e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined) return e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (e.OTEL_EXPORTER_OTLP_ENDPOINT === undefined) return undefined;
  return `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}
