import { z } from 'zod';

/** What a passkey (or an account) was enrolled for: a sign-in of its own, or only a second factor under a sign-in token. */
export const passkeyPurposeSchema = z
  .enum(['passkey', 'second_factor'])
  .describe('"second_factor": enrolled with a second-factor registration token; signs in only under a createSignInToken token');
export type PasskeyPurpose = z.infer<typeof passkeyPurposeSchema>;

export function passkeyPurpose(enrolled: { second_factor_only: boolean }): PasskeyPurpose {
  return enrolled.second_factor_only ? 'second_factor' : 'passkey';
}
