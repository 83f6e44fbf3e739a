import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { workerMetrics } from '../cluster/cluster-channel.js';
import type { UnwrapCacheStats } from '../envelope/unwrap-cache.js';
import type { ChallengeEviction } from '../stores/memory-challenge-store.js';
import type { StoreName } from '../stores/open-stores.js';

const CEREMONY_METHODS = new Set(['initiateRegistration', 'completeRegistration', 'initiateAuthentication', 'completeAuthentication']);

export interface GatewayMetrics {
  /** One JSON-RPC call: its method, 'ok' or the error reason, and how long it took. */
  observeCall(method: string, outcome: string, seconds: number): void;
  /** One store call, by the aggregate it went to. */
  observeStore(store: StoreName, operation: string, seconds: number, outcome: 'ok' | 'error' | 'timeout'): void;
  auditWriteFailed(): void;
  /** One webhook delivery attempt, by outcome (delivered, retry, failed: given up, released: stopped before sending). */
  webhookAttempted(outcome: 'delivered' | 'retry' | 'failed' | 'released'): void;
  /** A pending in-process challenge dropped to make room, by the bound that was reached. */
  challengeEvicted(bound: ChallengeEviction): void;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<{ contentType: string; text: string }>;
  /** Stops answering the primary's collections (in a worker). */
  close(): void;
}

/**
 * Prometheus metrics of one gateway, in its own registry (so several gateways in one process, as
 * in tests, do not collide); with WORKERS > 1, the sum over its worker processes. Labels only ever
 * take values from closed sets: method names the gateway serves, error reasons from the table,
 * store operation names.
 */
export function createGatewayMetrics(deps: { unwrapStats: () => UnwrapCacheStats }): GatewayMetrics {
  const unwrapCacheStats = deps.unwrapStats;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pkgw_' });

  const calls = new Counter({
    name: 'pkgw_rpc_requests_total',
    help: 'JSON-RPC calls by method and outcome (ok or the error reason)',
    labelNames: ['method', 'outcome'] as const,
    registers: [registry],
  });
  const callSeconds = new Histogram({
    name: 'pkgw_rpc_duration_seconds',
    help: 'Time to answer a JSON-RPC call, by method',
    labelNames: ['method'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const ceremonySeconds = new Histogram({
    name: 'pkgw_ceremony_duration_seconds',
    help: 'Time of each WebAuthn ceremony step (initiate*/complete*), by method and whether it succeeded',
    labelNames: ['method', 'result'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const storeSeconds = new Histogram({
    name: 'pkgw_store_duration_seconds',
    help: 'Time of each store call, by store (scopes, accounts, audit_log, sessions, challenges, rate_limits), operation and outcome',
    labelNames: ['store', 'operation', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
    registers: [registry],
  });
  const challengeEvictions = new Counter({
    name: 'pkgw_challenge_evictions_total',
    help: 'Pending ceremonies dropped from the in-process challenge store to make room, by bound (owner: one client address; total)',
    labelNames: ['bound'] as const,
    registers: [registry],
  });
  const auditFailures = new Counter({
    name: 'pkgw_audit_write_failures_total',
    help: 'Audit events that could not be written (logged at error level instead)',
    registers: [registry],
  });
  const webhookAttempts = new Counter({
    name: 'pkgw_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome (delivered; retry: failed, tried again later; failed: given up; released: gateway stopping)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });

  // The unwrap cache keeps its own totals; these counters catch up with them on each scrape.
  const reported = { hits: 0, misses: 0, failureHits: 0 };
  new Counter({
    name: 'pkgw_rsa_unwrap_cache_hits_total',
    help: 'X-Encrypted-Key headers answered from the unwrap cache (no RSA decryption)',
    registers: [registry],
    collect() {
      const { hits } = unwrapCacheStats();
      this.inc(Math.max(0, hits - reported.hits));
      reported.hits = hits;
    },
  });
  new Counter({
    name: 'pkgw_rsa_unwrap_cache_misses_total',
    help: 'X-Encrypted-Key headers that needed an RSA decryption',
    registers: [registry],
    collect() {
      const { misses } = unwrapCacheStats();
      this.inc(Math.max(0, misses - reported.misses));
      reported.misses = misses;
    },
  });
  new Counter({
    name: 'pkgw_rsa_unwrap_cache_failure_hits_total',
    help: 'X-Encrypted-Key headers refused again from the remembered failures (no RSA decryption)',
    registers: [registry],
    collect() {
      const { failureHits } = unwrapCacheStats();
      this.inc(Math.max(0, failureHits - reported.failureHits));
      reported.failureHits = failureHits;
    },
  });
  new Gauge({
    name: 'pkgw_rsa_unwrap_cache_entries',
    help: 'Client keys held in the unwrap cache',
    registers: [registry],
    collect() {
      this.set(unwrapCacheStats().size);
    },
  });

  // Under WORKERS > 1 a scrape reaches one worker; it answers for all of them.
  const wholeGateway = workerMetrics(registry);

  return {
    observeCall(method, outcome, seconds) {
      calls.inc({ method, outcome });
      callSeconds.observe({ method }, seconds);
      if (CEREMONY_METHODS.has(method)) ceremonySeconds.observe({ method, result: outcome === 'ok' ? 'ok' : 'error' }, seconds);
    },
    observeStore(store, operation, seconds, outcome) {
      storeSeconds.observe({ store, operation, outcome }, seconds);
    },
    auditWriteFailed() {
      auditFailures.inc();
    },
    webhookAttempted(outcome) {
      webhookAttempts.inc({ outcome });
    },
    challengeEvicted(bound) {
      challengeEvictions.inc({ bound });
    },
    async render() {
      return { contentType: registry.contentType, text: await (wholeGateway?.render() ?? registry.metrics()) };
    },
    close() {
      wholeGateway?.close();
    },
  };
}
