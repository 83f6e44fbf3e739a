import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { z } from 'zod';

/**
 * Messages between the node:cluster primary and its workers, tagged `pkgw` so they never clash
 * with node's own or prom-client's. Workers of one gateway use them to
 * - serve /metrics for the whole gateway: a worker asks the primary, which gathers every worker's
 *   registry and sums them with prom-client's AggregatorRegistry.aggregate;
 * - share unwrapped client keys: a client whose calls land on different workers (connections are
 *   spread round-robin) then pays the RSA decryption once, not once per worker.
 * Everything here stays on the pipes between one primary and the children it forked.
 */

/** A client key one worker unwrapped, for the others' unwrap caches (see envelope/client-key.ts). */
export const sharedClientKeySchema = z.object({
  pkgw: z.literal('client-key'),
  /** Identifies the RSA key ring: only a worker holding the same keys adopts the entry. */
  ring: z.string(),
  /** The unwrap cache's id of the header (a SHA-256, never the header itself). */
  id: z.string(),
  key: z.string(),
});
export type SharedClientKey = z.infer<typeof sharedClientKeySchema>;

const metricsRequestSchema = z.object({ pkgw: z.literal('metrics-request'), id: z.number().int() });
const metricsResponseSchema = z.object({ pkgw: z.literal('metrics-response'), id: z.number().int(), text: z.string().optional(), error: z.string().optional() });
const metricsCollectSchema = z.object({ pkgw: z.literal('metrics-collect'), id: z.number().int() });
// The JSON of a registry (prom-client's getMetricsAsJSON), passed through as prom-client reads it.
const metricsCollectedSchema = z.object({ pkgw: z.literal('metrics-collected'), id: z.number().int(), metrics: z.array(z.unknown()) });

/** Longest the primary waits for every worker's metrics before the scrape fails. */
const COLLECT_TIMEOUT_MS = 3000;

/** How a worker's unwrap cache talks to its siblings. */
export interface ClientKeyChannel {
  publish(message: SharedClientKey): void;
  /** Calls `listener` with each key a sibling shares; returns the unsubscribe function. */
  subscribe(listener: (message: SharedClientKey) => void): () => void;
}

/**
 * Primary side: answers a worker's metrics request with the sum over every worker that is
 * listening (one still starting has nothing to count yet), and relays shared client keys.
 */
export function servePrimaryChannel(onError: (error: unknown) => void): void {
  const listening = new Set<Worker>();
  cluster.on('listening', (worker) => listening.add(worker));
  cluster.on('exit', (worker) => listening.delete(worker));
  let nextCollectId = 0;
  const pending = new Map<number, (worker: Worker, metrics: unknown[]) => void>();

  const collect = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const id = (nextCollectId += 1);
      const workers = [...listening].filter((worker) => worker.isConnected());
      const gathered: unknown[][] = [];
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`metrics of ${workers.length - gathered.length} worker(s) did not arrive within ${COLLECT_TIMEOUT_MS} ms`));
      }, COLLECT_TIMEOUT_MS);
      pending.set(id, (_worker, metrics) => {
        gathered.push(metrics);
        if (gathered.length < workers.length) return;
        pending.delete(id);
        clearTimeout(timer);
        // prom-client's aggregation: counters and histograms summed, each default metric its own way.
        AggregatorRegistry.aggregate(gathered as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics().then(resolve, reject);
      });
      for (const worker of workers) worker.send({ pkgw: 'metrics-collect', id });
    });

  cluster.on('message', (worker: Worker, message: unknown) => {
    const request = metricsRequestSchema.safeParse(message);
    if (request.success) {
      collect().then(
        (text) => sendIfConnected(worker, { pkgw: 'metrics-response', id: request.data.id, text }),
        (error: unknown) => {
          onError(error);
          sendIfConnected(worker, { pkgw: 'metrics-response', id: request.data.id, error: error instanceof Error ? error.message : String(error) });
        },
      );
      return;
    }
    const collected = metricsCollectedSchema.safeParse(message);
    if (collected.success) {
      pending.get(collected.data.id)?.(worker, collected.data.metrics);
      return;
    }
    if (sharedClientKeySchema.safeParse(message).success) {
      for (const other of Object.values(cluster.workers ?? {})) {
        if (other !== undefined && other !== worker) sendIfConnected(other, message);
      }
    }
  });
}

function sendIfConnected(worker: Worker, message: unknown): void {
  // A worker that is exiting may still be listed; what it misses no longer matters.
  if (worker.isConnected()) worker.send(message as object);
}

/** Worker side of the key sharing, over this process's IPC pipe; undefined outside a worker. */
export function workerClientKeyChannel(): ClientKeyChannel | undefined {
  if (!cluster.isWorker || process.send === undefined) return undefined;
  const send = process.send.bind(process);
  return {
    publish: (message) => void send(message),
    subscribe(listener) {
      const onMessage = (message: unknown) => {
        const parsed = sharedClientKeySchema.safeParse(message);
        if (parsed.success) listener(parsed.data);
      };
      process.on('message', onMessage);
      return () => void process.off('message', onMessage);
    },
  };
}

/** The whole gateway's metrics as a worker sees them; close() stops answering the primary. */
export interface WorkerMetrics {
  render(): Promise<string>;
  close(): void;
}

/**
 * In a worker: answers the primary's collection with `registry`, and renders the whole gateway's
 * metrics text by asking the primary; undefined outside a worker (render the registry directly).
 */
export function workerMetrics(registry: Registry, timeoutMs = COLLECT_TIMEOUT_MS + 2000): WorkerMetrics | undefined {
  if (!cluster.isWorker || process.send === undefined) return undefined;
  const send = process.send.bind(process);
  let nextRequestId = 0;
  const onCollect = (message: unknown) => {
    const request = metricsCollectSchema.safeParse(message);
    if (!request.success) return;
    registry.getMetricsAsJSON().then(
      (metrics) => send({ pkgw: 'metrics-collected', id: request.data.id, metrics }),
      // Never answering makes the scrape fail at the primary's deadline, with its reason logged there.
      () => {},
    );
  };
  process.on('message', onCollect);
  const render = () =>
    new Promise<string>((resolve, reject) => {
      const id = (nextRequestId += 1);
      const timer = setTimeout(() => finish(new Error('metrics from the primary timed out')), timeoutMs);
      const onMessage = (message: unknown) => {
        const parsed = metricsResponseSchema.safeParse(message);
        if (!parsed.success || parsed.data.id !== id) return;
        if (parsed.data.text === undefined) finish(new Error(parsed.data.error ?? 'metrics unavailable'));
        else finish(null, parsed.data.text);
      };
      function finish(error: Error | null, text?: string) {
        clearTimeout(timer);
        process.off('message', onMessage);
        if (error === null) resolve(text ?? '');
        else reject(error);
      }
      process.on('message', onMessage);
      send({ pkgw: 'metrics-request', id });
    });
  return { render, close: () => void process.off('message', onCollect) };
}
