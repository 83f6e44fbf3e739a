import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { GatewayMetrics } from './gateway-metrics.js';

/**
 * The metrics listener: GET (or HEAD) /metrics and nothing else, every other request 404. It is a
 * server of its own, on METRICS_HOST:METRICS_PORT (loopback by default), so the figures never
 * reach the public listener and the public routes never reach this one.
 */
export function createMetricsServer(deps: { metrics: Pick<GatewayMetrics, 'render'>; log: Logger }): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      req.resume();
      return void res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    }
    deps.metrics.render().then(
      ({ contentType, text }) => {
        // For HEAD, node sends the headers and drops the body.
        res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) }).end(text);
      },
      (err: unknown) => {
        // With WORKERS > 1, a worker that did not answer in time: fail the scrape rather than show partial counts.
        deps.log.error({ err }, 'rendering metrics failed');
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
      },
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return server;
}
