import { isoBase64URL } from '@simplewebauthn/server/helpers';
import { z } from 'zod';
import { limits } from '../domain/limits.js';
import { checkAttestationObject, checkAuthenticatorData } from './strict-cbor.js';

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
/**
 * Padding, when present, only as much as completes the last group: decoders disagree on more
 * (`isoBase64URL` reads "abcdefg==" as 4 bytes, Buffer as 5), so extra padding could make a check
 * here see other bytes than verification does.
 */
const canonicalPadding = (value: string) => !value.endsWith('=') || value.length % 4 === 0;
const b64url = (max: number) =>
  z.string().min(1).max(max).regex(BASE64URL, 'must be base64url').refine(canonicalPadding, 'must be base64url without extra padding');

/**
 * A base64url CBOR field that must also be strict CBOR (see strict-cbor.ts). A failure is a zod
 * issue, so the call ends as `invalid_params` before any verification runs: like bad base64url, a
 * malformed encoding is a shape error the client can see without any secret, while
 * `verification_failed` stays reserved for well-formed responses that do not verify.
 */
const strictCbor = (max: number, check: (bytes: Uint8Array) => { ok: true } | { ok: false; reason: string }) =>
  b64url(max).superRefine((value, ctx) => {
    if (value.length > max || !BASE64URL.test(value) || !canonicalPadding(value)) return; // already refused above
    // Decoded as verification decodes it, so the bytes checked are the bytes verified.
    const result = check(isoBase64URL.toBuffer(value));
    if (!result.ok) ctx.addIssue({ code: 'custom', message: result.reason });
  });

// Unknown transport strings from newer browsers are dropped rather than refused (the whole list, as before).
const transports = z.array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])).max(8).catch([]);
const clientExtensionResults = z.record(z.string(), z.unknown()).default({});
const authenticatorAttachment = z
  .enum(['platform', 'cross-platform'])
  .nullish()
  .transform((value) => value ?? undefined);

/** What every `PublicKeyCredential.toJSON()` carries around its `response`. */
const publicKeyCredential = z.object({
  id: b64url(limits.credentialIdChars),
  rawId: b64url(limits.credentialIdChars),
  type: z.literal('public-key'),
  authenticatorAttachment,
  clientExtensionResults,
});

/** `PublicKeyCredential.toJSON()` of a creation, as browsers and the SDK send it. */
export const registrationResponseSchema = publicKeyCredential.extend({
  response: z.object({
    clientDataJSON: b64url(limits.clientDataJsonChars),
    attestationObject: strictCbor(limits.attestationObjectChars, checkAttestationObject),
    transports: z
      .array(z.string().max(32))
      .max(8)
      .optional()
      .transform((list) => transports.parse(list ?? [])),
  }),
});

/** `PublicKeyCredential.toJSON()` of an assertion; `userHandle` is null for security keys. */
export const authenticationResponseSchema = publicKeyCredential.extend({
  response: z.object({
    clientDataJSON: b64url(limits.clientDataJsonChars),
    authenticatorData: strictCbor(limits.authenticatorDataChars, checkAuthenticatorData),
    signature: b64url(limits.signatureChars),
    userHandle: b64url(limits.userHandleChars)
      .nullish()
      .transform((value) => value ?? undefined),
  }),
});

export type RegistrationResponse = z.output<typeof registrationResponseSchema>;
export type AuthenticationResponse = z.output<typeof authenticationResponseSchema>;
