import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { limits } from '../domain/limits.js';
import { AddressRefusedError, guardedLookup, targetAllowed, type AddressKind, type TargetPolicy } from './address-guard.js';

/** What one POST to a receiver came to: its status, or why there was none. */
export type SendResult = { ok: true; status: number } | { ok: false; error: string };

export interface SendOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** For the whole exchange: connecting, sending, and the answer's headers and (bounded) body. */
  timeoutMs: number;
  allowLoopback: boolean;
  classify: (address: string) => AddressKind;
  /** Aborts the exchange (the gateway is stopping): the result is then `{ ok: false, error: 'aborted' }`. */
  signal?: AbortSignal;
}

/**
 * POSTs one webhook. Only the status counts (2xx: delivered). Redirects are not followed (a 3xx is
 * a failure); at most limits.webhookResponseBytes of the answer are read; every connection is new
 * (no agent), so each one's address passes the guard; no proxy variables are read.
 */
export async function sendWebhook(options: SendOptions): Promise<SendResult> {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return { ok: false, error: 'url_invalid' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, error: 'url_invalid' };
  const policy = { allowLoopback: options.allowLoopback, plainHttp: url.protocol === 'http:' };
  // An IP literal is connected to without a lookup, so it is checked here.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0 && !targetAllowed(options.classify, host, policy)) return { ok: false, error: 'address_refused' };
  return post(url, policy, options);
}

function post(url: URL, policy: TargetPolicy, options: SendOptions): Promise<SendResult> {
  return new Promise((resolve) => {
    let settled = false;
    const req = (policy.plainHttp ? httpRequest : httpsRequest)(url, {
      method: 'POST',
      agent: false,
      lookup: guardedLookup(options.classify, policy),
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)), 'user-agent': 'passkey-gateway-webhooks', ...options.headers },
      maxHeaderSize: 16 * 1024,
    });
    const timer = setTimeout(() => {
      finish({ ok: false, error: 'timeout' });
      req.destroy();
    }, options.timeoutMs);
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const abort = () => {
      finish({ ok: false, error: 'aborted' });
      req.destroy();
    };
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    req.on('close', () => options.signal?.removeEventListener('abort', abort));
    req.on('error', (error: NodeJS.ErrnoException) => {
      finish({ ok: false, error: error instanceof AddressRefusedError ? 'address_refused' : `connection_failed${error.code ? `: ${error.code}` : ''}` });
    });
    req.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      let read = 0;
      const done = () => {
        finish(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, error: `status ${status}` });
        req.destroy();
      };
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > limits.webhookResponseBytes) done();
      });
      response.on('end', done);
      response.on('error', done);
    });
    req.end(options.body);
  });
}
