import { isoBase64URL } from '@simplewebauthn/server/helpers';
import { GatewayError } from '../errors/gateway-error.js';

/**
 * Where a ceremony ran, from the client data: a page may run it in a cross-origin iframe only when
 * the scope lists the embedding page (its topOrigin). Checked before verification and beside it,
 * not inside: @simplewebauthn's registration check ignores crossOrigin and topOrigin altogether,
 * and both its sign-in check and the gateway's assertion verifier let `crossOrigin: true` through
 * when the browser reports no topOrigin (Safari), where nothing says who embedded the page.
 * Unreadable client data is left to verification, which refuses it.
 */
export function checkFraming(clientDataJSON: string, topOrigins: readonly string[]): void {
  let clientData: unknown;
  try {
    clientData = JSON.parse(new TextDecoder().decode(isoBase64URL.toBuffer(clientDataJSON)));
  } catch {
    return;
  }
  if (clientData === null || typeof clientData !== 'object') return;
  const { crossOrigin, topOrigin } = clientData as { crossOrigin?: unknown; topOrigin?: unknown };
  // Truthiness, as the library reads both fields: any value it would take as "framed" is framed here.
  if (crossOrigin) {
    if (typeof topOrigin !== 'string' || !topOrigins.includes(topOrigin)) {
      throw new GatewayError('verification_failed', `cross-origin ceremony embedded by ${typeof topOrigin === 'string' ? topOrigin : 'an unnamed page'}, not one of the scope's top_origins`);
    }
  } else if (topOrigin) {
    throw new GatewayError('verification_failed', 'topOrigin without crossOrigin');
  }
}
