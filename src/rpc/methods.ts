import type { RsaKeyRing } from '../keys/rsa-key-ring.js';
import { completeRegistration } from '../registration/complete-registration.js';
import { initiateRegistration } from '../registration/initiate-registration.js';
import type { AccountStore } from '../stores/account-store.js';
import type { ChallengeStore } from '../stores/challenge-store.js';
import { getEncryptionKey } from './get-encryption-key.js';
import type { RpcMethod } from './rpc-method.js';

export interface MethodDeps {
  accounts: AccountStore;
  challenges: ChallengeStore;
  rsaKeys: RsaKeyRing;
  identifierSecret: Buffer;
}

/** Every JSON-RPC method the gateway serves; the contract document is generated from this list. */
export function buildMethods(deps: MethodDeps): RpcMethod[] {
  return [getEncryptionKey(deps), initiateRegistration(deps), completeRegistration(deps)];
}
