import { z } from 'zod';
import { passkeyProvider } from '../ceremony/passkey-provider.js';
import { sessionMethod } from '../rpc/rpc-method.js';
import type { AccountStore } from '../stores/account-store.js';
import type { Credential } from '../domain/account.js';

export const credentialViewSchema = z.object({
  credential_id: z.string(),
  name: z.string().nullable(),
  provider: z.string().nullable().describe('passkey provider display name from the AAGUID, e.g. "iCloud Keychain"'),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  transports: z.array(z.string()),
  device_type: z.enum(['singleDevice', 'multiDevice']),
  backed_up: z.boolean(),
  aaguid: z.string(),
  possibly_cloned: z.boolean(),
  discoverable: z.boolean().nullable().describe("the browser's credProps.rk at registration; null when not reported"),
  authenticator_attachment: z.enum(['platform', 'cross-platform']).nullable().describe("the browser's authenticatorAttachment at registration"),
  attestation_verified: z.boolean().describe('whether registration verified the attestation to a trust anchor: only then is the aaguid more than a claim'),
});

/** A passkey as its account's owner (or the app and operator acting for it) sees it. */
export function credentialView(credential: Credential): z.input<typeof credentialViewSchema> {
  return {
    credential_id: credential.credential_id,
    name: credential.name,
    provider: passkeyProvider(credential.aaguid),
    created_at: credential.created_at,
    last_used_at: credential.last_used_at,
    transports: credential.transports,
    device_type: credential.device_type,
    backed_up: credential.backed_up,
    aaguid: credential.aaguid,
    possibly_cloned: credential.possibly_cloned,
    discoverable: credential.discoverable,
    authenticator_attachment: credential.authenticator_attachment,
    attestation_verified: credential.attestation_verified,
  };
}

export function listCredentials(deps: { accounts: AccountStore }) {
  return sessionMethod({
    name: 'listCredentials',
    summary: "The signed-in account's passkeys (result sealed in encrypted_result)",
    description: 'Needs X-Encrypted-Session.',
    params: z.object({}).strict().optional(),
    result: z.object({ credentials: z.array(credentialViewSchema) }),
    async handler(_params, { account }) {
      const credentials = await deps.accounts.listCredentials(account.account_id);
      return {
        credentials: credentials.map(credentialView),
      };
    },
  });
}
