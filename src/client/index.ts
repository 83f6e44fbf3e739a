/** Browser client for passkey-gateway: `import { GatewayClient } from 'passkey-gateway/client'`. */
export { GatewayClient, type GatewayClientOptions, type RecentSignInAction } from './gateway-client.js';
export { GatewayClientError, isGatewayClientError, type ClientSideReason, type GatewayClientErrorReason, type RpcLevelReason } from './gateway-client-error.js';
export { describeError, errorMessages } from './error-messages.js';
export { supportsAutofill } from './passkey-ceremony.js';
export type { ClientStateStorage, StoredClientState } from './client-state-storage.js';
export type { Account, Hint, Passkey, Recovery, RecoveryCodes, Registration, SignInResult } from './types.js';
export type { FetchLike } from './rpc-transport.js';
