import { isWebOrigin, type Scope } from '../domain/scope.js';

/** The `/.well-known/webauthn` document (WebAuthn Related Origin Requests) for an RP id. */
export interface RelatedOriginsDocument {
  origins: string[];
}

/**
 * The web origins of every scope with this RP id, in scope order without repeats: the pages on
 * other registrable domains a browser may then let use the RP id. App origins (android:…) are left
 * out: apps prove theirs through Digital Asset Links, not this document. Null when no scope has
 * the RP id, so the gateway serves nothing for other hosts.
 */
export function relatedOriginsDocument(scopes: Iterable<Scope>, rpId: string): RelatedOriginsDocument | null {
  const wanted = rpId.toLowerCase();
  const matching = [...scopes].filter((scope) => scope.rp_id.toLowerCase() === wanted);
  if (matching.length === 0) return null;
  return { origins: [...new Set(matching.flatMap((scope) => scope.origins.filter(isWebOrigin)))] };
}

/** The host name of a Host header (no port, lower case); undefined for none. */
export function hostName(hostHeader: string | undefined): string | undefined {
  if (hostHeader === undefined || hostHeader === '' || hostHeader.startsWith('[')) return undefined;
  return hostHeader.replace(/:\d*$/, '').replace(/\.$/, '').toLowerCase();
}
