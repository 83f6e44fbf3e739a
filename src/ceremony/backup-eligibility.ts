import type { Credential } from '../domain/account.js';
import type { Scope } from '../domain/scope.js';
import { GatewayError } from '../errors/gateway-error.js';

/**
 * A scope's `backup_eligibility` policy, at registration and at every sign-in: `required` takes
 * only passkeys that may be synced (BE set: device type multiDevice), `forbidden` only passkeys
 * bound to one device, `any` both. It applies to the flag the authenticator reports now, so a
 * passkey a provider has since turned synced is refused by `forbidden` too.
 */
export function checkBackupEligibility(policy: Scope['backup_eligibility'], deviceType: Credential['device_type']): void {
  if (policy === 'required' && deviceType !== 'multiDevice') throw new GatewayError('backup_eligibility_refused', 'passkey not backup eligible');
  if (policy === 'forbidden' && deviceType === 'multiDevice') throw new GatewayError('backup_eligibility_refused', 'passkey backup eligible');
}
