import type { Server } from 'node:http';

/**
 * Stops accepting connections and lets requests in flight finish: idle keep-alive connections are
 * closed at once and then as soon as they fall idle, and whatever is still open after `graceMs`
 * is cut. Resolves when every connection is gone.
 */
export function drainServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve();
    });
    if (graceMs <= 0) server.closeAllConnections();
    else server.closeIdleConnections();
  });
}
