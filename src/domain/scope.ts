import { z } from 'zod';

/** COSE algorithm identifiers a scope may accept: EdDSA, ES256, RS256 by default. */
export const DEFAULT_ALGORITHMS = [-8, -7, -257] as const;

export const userVerificationSchema = z.enum(['required', 'preferred', 'discouraged']);
/** `direct` and `enterprise` ask for attestation and accept only statements verified to the metadata's trust anchors. */
export const attestationSchema = z.enum(['none', 'direct', 'enterprise']);
export const residentKeySchema = z.enum(['required', 'preferred', 'discouraged']);
export const backupEligibilityChangeSchema = z.enum(['allowed', 'refused']);
/** Which passkeys a scope takes by their backup-eligible (BE) flag: synced ones only, device-bound ones only, or any. */
export const backupEligibilitySchema = z.enum(['any', 'required', 'forbidden']);
/** WebAuthn L3 hints, most preferred first. */
export const hintSchema = z.enum(['security-key', 'client-device', 'hybrid']);
export const hintsSchema = z
  .array(hintSchema)
  .max(3)
  .refine((hints) => new Set(hints).size === hints.length, 'each hint at most once');
export const walletSchema = z.enum(['off', 'on']);
export const recoveryCodesSchema = z.enum(['on', 'off']);
/** Whether the session of a second-factor sign-in (createSignInToken) may act as a primary one. */
export const secondFactorSessionsSchema = z.enum(['refused', 'allowed']);

/** An EIP-155 chain id; bounded to what a JSON number holds exactly (every chain in use is far below). */
export const chainIdSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** An Android app's origin: its APK signing certificate's SHA-256, base64url without padding (43 characters). */
export const ANDROID_ORIGIN = /^android:apk-key-hash:[A-Za-z0-9_-]{43}$/;

/** Whether an origin is a web origin (http or https), as browsers send in Origin headers; app origins are not. */
export function isWebOrigin(origin: string): boolean {
  return origin.startsWith('https://') || origin.startsWith('http://');
}

/** Whether a text is an http(s) origin written as browsers write it: scheme, host and port only, canonical. */
export function isCanonicalWebOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

const webOriginSchema = z.string().max(2048).refine(isCanonicalWebOrigin, 'must be an origin such as https://example.com (scheme, host and port only)');

// Compared as written with what the client reports, so only the one canonical spelling is taken.
const originSchema = z
  .string()
  .max(2048)
  .refine(
    (value) => ANDROID_ORIGIN.test(value) || webOriginSchema.safeParse(value).success,
    'must be an origin such as https://example.com (scheme, host and port only), or android:apk-key-hash:<43 base64url characters>',
  );

/** An AAGUID as the gateway writes it: lower-case, hyphenated. */
const aaguidSchema = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be an AAGUID such as 00000000-0000-0000-0000-000000000000'));
const aaguidList = z.array(aaguidSchema).max(500).default([]);

const rateLimit = z.number().int().min(0).max(1_000_000).nullable().default(null);

/** What a caller supplies to create a scope; defaults filled in by zod. */
export const scopeSettingsSchema = z.object({
  name: z.string().trim().min(1).max(200),
  rp_id: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[a-z0-9.-]+$/i, 'must be a host name such as example.com'),
  rp_name: z.string().trim().min(1).max(200).optional(),
  origins: z.array(originSchema).min(1).max(50),
  user_verification: userVerificationSchema.default('required'),
  attestation: attestationSchema.default('none'),
  resident_key: residentKeySchema.default('preferred'),
  timeout_ms: z.number().int().min(10_000).max(600_000).default(300_000),
  algorithms: z
    .array(z.number().int())
    .min(1)
    .max(10)
    .default([...DEFAULT_ALGORITHMS]),
  /** Lifetime of a session JWT, in seconds. */
  session_ttl: z.number().int().min(60).max(30 * 24 * 3600).default(3600),
  /** Ceremony calls (initiate* and complete*) per minute per client IP; null: the gateway default, 0: no limit. */
  rate_limit_ip_per_minute: rateLimit,
  /** Ceremony calls per minute per username; null: the gateway default, 0: no limit. */
  rate_limit_user_per_minute: rateLimit,
  /** Adding or deleting a passkey needs a session whose sign-in is at most this many seconds old. */
  reauth_window_s: z.number().int().min(30).max(30 * 24 * 3600).default(300),
  /**
   * Whether a passkey may change its backup eligibility (BE flag) after registration. Allowed by
   * default: synced passkey providers turn it on once a passkey has been synced.
   */
  backup_eligibility_change: backupEligibilityChangeSchema.default('allowed'),
  /**
   * Which passkeys registration and sign-in take by their backup-eligible flag: `required` only
   * synced ones, `forbidden` only device-bound ones, `any` both.
   */
  backup_eligibility: backupEligibilitySchema.default('any'),
  /** Hints the creation and request options carry unless a call names its own. */
  hints: hintsSchema.default([]),
  /** Pages (web origins) that may embed the ceremony in a cross-origin iframe: the clientData topOrigin. */
  top_origins: z.array(webOriginSchema).max(50).default([]),
  /** With verified attestation: when not empty, only these authenticator models (AAGUIDs) may register. */
  aaguid_allow: aaguidList,
  /** With verified attestation: these authenticator models (AAGUIDs) may not register. */
  aaguid_deny: aaguidList,
  /**
   * Whether the accounts' keys sign (personal_sign, eth_signTypedData_v4, eth_signTransaction) and
   * eth_requestAccounts answers; off: those methods do not exist in the scope (method_not_found).
   */
  wallet: walletSchema.default('off'),
  /** The chain ids transactions and typed data may name; null: any chain. */
  allowed_chain_ids: z.array(chainIdSchema).min(1).max(100).nullable().default(null),
  /** Signing needs a session whose passkey sign-in is at most this many seconds old. */
  signing_window_s: z.number().int().min(30).max(24 * 3600).default(300),
  /** Signatures per minute per account; null: the gateway default, 0: no limit. */
  rate_limit_signing_per_minute: rateLimit,
  /** Ten single-use recovery codes on an account's first passkey, and recoverAccount; off: neither. */
  recovery_codes: recoveryCodesSchema.default('on'),
  /**
   * `refused`: a second-factor sign-in's session is refused by every authenticated method and by
   * `verify` (the app learns of the sign-in through verifySignIn only); `allowed`: it works as any session.
   */
  second_factor_sessions: secondFactorSessionsSchema.default('refused'),
});

export type ScopeSettingsInput = z.input<typeof scopeSettingsSchema>;

export const scopeSchema = scopeSettingsSchema.extend({
  scope_id: z.uuid(),
  rp_name: z.string().min(1).max(200),
  created_at: z.string(),
  updated_at: z.string(),
});

export type Scope = z.infer<typeof scopeSchema>;

/** What a store is given to create a scope; it stamps the times. */
export type NewScope = Omit<Scope, 'created_at' | 'updated_at'>;
/** The settings a scope update may change; absent ones stay as they are. */
export type ScopeUpdate = Partial<Omit<Scope, 'scope_id' | 'created_at' | 'updated_at'>>;
