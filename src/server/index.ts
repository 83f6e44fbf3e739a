/** Node helper for app backends: `import { GatewayServer } from 'passkey-gateway/server'`. */
export { GatewayServer, type GatewayServerOptions } from './gateway-server.js';
export { GatewayServerError, isGatewayServerError, type GatewayServerErrorReason, type HelperReason } from './gateway-server-error.js';
export type { VerifiedSession } from './session-verifier.js';
export type { ServerFetch } from './server-transport.js';
export type { AccountPage, AccountRef, AccountSummary, RegistrationToken, ServerAccount, ServerPasskey, SignIn, SignInToken } from './types.js';
