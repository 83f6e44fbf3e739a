import { z } from 'zod';

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const b64url = (max: number) => z.string().min(1).max(max).regex(BASE64URL, 'must be base64url');

/** Limits on what an authenticator may send: real ones are a few KiB at most. */
const MAX_CREDENTIAL_ID = 1366; // base64url of the 1023-byte maximum credential id
const MAX_CLIENT_DATA = 4096;
const MAX_ATTESTATION_OBJECT = 32 * 1024;
const MAX_AUTHENTICATOR_DATA = 4096;
const MAX_SIGNATURE = 1024;
const MAX_USER_HANDLE = 128; // base64url of the 64-byte maximum user handle

const transports = z.array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])).max(8);
const clientExtensionResults = z.record(z.string(), z.unknown()).default({});
const authenticatorAttachment = z
  .enum(['platform', 'cross-platform'])
  .nullish()
  .transform((value) => value ?? undefined);

/** `PublicKeyCredential.toJSON()` of a creation, as browsers and the SDK send it. */
export const registrationResponseSchema = z.object({
  id: b64url(MAX_CREDENTIAL_ID),
  rawId: b64url(MAX_CREDENTIAL_ID),
  type: z.literal('public-key'),
  authenticatorAttachment,
  response: z.object({
    clientDataJSON: b64url(MAX_CLIENT_DATA),
    attestationObject: b64url(MAX_ATTESTATION_OBJECT),
    // Unknown transport strings from newer browsers are dropped rather than refused.
    transports: z
      .array(z.string().max(32))
      .max(8)
      .optional()
      .transform((list) => transports.catch([]).parse(list ?? [])),
  }),
  clientExtensionResults,
});

/** `PublicKeyCredential.toJSON()` of an assertion; `userHandle` is null for security keys. */
export const authenticationResponseSchema = z.object({
  id: b64url(MAX_CREDENTIAL_ID),
  rawId: b64url(MAX_CREDENTIAL_ID),
  type: z.literal('public-key'),
  authenticatorAttachment,
  response: z.object({
    clientDataJSON: b64url(MAX_CLIENT_DATA),
    authenticatorData: b64url(MAX_AUTHENTICATOR_DATA),
    signature: b64url(MAX_SIGNATURE),
    userHandle: b64url(MAX_USER_HANDLE)
      .nullish()
      .transform((value) => value ?? undefined),
  }),
  clientExtensionResults,
});

export type RegistrationResponse = z.output<typeof registrationResponseSchema>;
export type AuthenticationResponse = z.output<typeof authenticationResponseSchema>;
