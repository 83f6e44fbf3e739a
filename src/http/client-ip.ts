import type { IncomingMessage } from 'node:http';

/**
 * The address a request came from. With `trustedHops` reverse proxies in front, the entry that
 * many places from the right of X-Forwarded-For (the one the outermost trusted proxy saw); entries
 * further left are client-supplied and could be forged, so they are never used.
 */
export function clientIpOf(req: IncomingMessage, trustedHops: number): string {
  const socketAddress = req.socket.remoteAddress ?? 'unknown';
  if (trustedHops === 0) return socketAddress;
  const header = req.headers['x-forwarded-for'];
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text === undefined) return socketAddress;
  // Bounded: a hostile header with thousands of entries is cut before splitting further.
  const entries = text.slice(0, 4096).split(',').map((entry) => entry.trim()).filter(Boolean);
  return entries[entries.length - trustedHops] ?? entries[0] ?? socketAddress;
}
