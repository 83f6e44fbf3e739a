import { ceremoniesFor } from '../../scripts/lib/ceremonies.js';
import { TEST_ORIGIN } from './gateway-harness.js';

export type { StartedAuthentication, StartedRegistration } from '../../scripts/lib/ceremonies.js';
export const { initiateRegistration, completeRegistration, register, initiateAuthentication, completeAuthentication, signIn, sessionCall } = ceremoniesFor(TEST_ORIGIN);
