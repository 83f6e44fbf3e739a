import { isIP } from 'node:net';
import { limits } from '../domain/limits.js';
import type { AddressKind } from './address-guard.js';

/**
 * Why a URL cannot be a webhook endpoint, or null when it can. Checked when the endpoint is added,
 * for a clear refusal then; delivery checks the address it actually connects to again (a name can
 * resolve elsewhere later). https:// only; http:// and loopback only when `allowLoopback` (development).
 */
export function webhookUrlProblem(value: string, options: { allowLoopback: boolean; classify: (address: string) => AddressKind }): string | null {
  if (value.length > limits.webhookUrlChars) return `must be at most ${limits.webhookUrlChars} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password';
  if (url.hash !== '') return 'must not have a fragment';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const kind: AddressKind | 'name' = isIP(host) !== 0 ? options.classify(host) : isLocalhost(host) ? 'loopback' : 'name';
  if (kind === 'loopback' && !options.allowLoopback) return 'must not point at a loopback address (WEBHOOK_ALLOW_LOOPBACK is off)';
  if (kind === 'refused') return 'must not point at a private, link-local, metadata or reserved address';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') return kind === 'loopback' ? null : 'must be https:// (http:// only to loopback with WEBHOOK_ALLOW_LOOPBACK=on)';
  return 'must be https://';
}

function isLocalhost(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}
