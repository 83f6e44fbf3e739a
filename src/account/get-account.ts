import { z } from 'zod';
import { sessionMethod } from '../rpc/rpc-method.js';
import { shownUsername } from '../tokens/registration-target.js';

export const getAccountResult = z.object({
  account_id: z.string(),
  identifier_hash: z.string(),
  username: z.string().describe("the account's username; for an app's user registered without one, its user_id"),
  user_id: z.string().nullable().describe("the app's own user id (createRegistrationToken); null for accounts without one"),
  display_name: z.string(),
  address: z.string(),
  created_at: z.string(),
  user_handle: z.string().describe('base64url WebAuthn user handle (user.id), for PublicKeyCredential.signal* calls'),
  rp_id: z.string().describe("the scope's RP id"),
});

export function getAccount() {
  return sessionMethod({
    name: 'getAccount',
    summary: "The signed-in account (result sealed in encrypted_result)",
    description: 'Needs X-Encrypted-Session.',
    params: z.object({}).strict().optional(),
    result: getAccountResult,
    handler(_params, { account, scope }) {
      const { account_id, identifier_hash, display_name, address, created_at, user_handle, user_id } = account;
      return { account_id, identifier_hash, username: shownUsername(account), user_id, display_name, address, created_at, user_handle, rp_id: scope.rp_id };
    },
  });
}
