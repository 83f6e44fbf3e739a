/**
 * Run the published `@0xpass/passport` SDK (2.1.7) in Node against a gateway at any URL, with a
 * signer backed by a SoftAuthenticator instead of a browser.
 *
 * SDK facts this relies on (node_modules/@0xpass/passport/dist/index.js):
 * - `new Passport({ scopeId, signer, network, enclavePublicKey, allowSessions })`. `network` is just
 *   the URL axios POSTs to (any string works at runtime; the TS type is the `Network` enum).
 *   `enclavePublicKey` (base64 SPKI DER, no PEM lines) is mandatory for a custom URL: its default is
 *   looked up by URL and the constructor throws on `undefined.trim()` otherwise.
 * - `await passport.setupEncryption()` must run before any call (it creates the AES key and the
 *   RSA-wrapped `X-Encrypted-Key`); without it every call throws inside node-forge.
 * - The signer needs `create(options)`, `sign(options)`, `getHeaderName()` (and, per its TS type,
 *   `getAllowCredentials()`). `create` gets the decrypted creation options exactly as the gateway
 *   sent them (`{publicKey: {...}}`); `sign` gets `{publicKey: {...}}` request options. Whatever
 *   they return is `JSON.stringify`-ed and encrypted, so returning the credential JSON works, as
 *   does a PublicKeyCredential-like object with `toJSON()`.
 * - Globals: Node 20 already has everything the SDK itself needs (atob/btoa, Buffer, TextEncoder;
 *   node-forge, axios, elliptic, js-sha3 work in Node). Only the real WebauthnSigner needs browser
 *   globals (`window.PublicKeyCredential`, `navigator.credentials`); mode 'webauthn-signer' below
 *   installs a shim for them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Passport, type Network } from '@0xpass/passport';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { SoftAuthenticator, b64url, fromB64url, type CeremonyOverrides } from '../../scripts/lib/soft-authenticator.js';

export type SignerMode = 'webauthn-signer' | 'direct';
export type OverridesHook = (kind: 'create' | 'get') => CeremonyOverrides | undefined;

export interface SoftSignerOptions {
  authenticator: SoftAuthenticator;
  /** Page origin the "browser" puts into clientDataJSON, e.g. 'http://localhost:3000'. */
  origin: string;
  /**
   * 'webauthn-signer' (default): the real `@0xpass/webauthn-signer` WebauthnSigner, with
   *   `navigator.credentials` shimmed onto the SoftAuthenticator. Options and responses go through
   *   @github/webauthn-json exactly as in a browser (unknown option fields dropped, base64url
   *   decoding of user.id / challenge / credential ids, toJSON() output).
   * 'direct': a plain object calling the SoftAuthenticator with the JSON as received. No globals.
   */
  mode?: SignerMode;
  /** Called once per ceremony; lets a test make the next response bad. */
  overrides?: OverridesHook;
}

/** The signer interface the Passport SDK calls. */
export interface PassportSigner {
  create(options: unknown): Promise<any>;
  sign(options: unknown): Promise<any>;
  getHeaderName(): string;
  getAllowCredentials(): Promise<{ key: any[]; webauthn: any[] }>;
}

export interface PassportClientOptions extends SoftSignerOptions {
  /** Gateway JSON-RPC endpoint (the SDK posts to exactly this URL). */
  url: string;
  scopeId: string;
  /** Gateway RSA public key: base64 of SPKI DER, no PEM armour. */
  publicKeyBase64: string;
  allowSessions?: boolean;
  /** Provide an existing signer instead of building one from authenticator/origin/mode. */
  signer?: PassportSigner;
}

interface Ctx {
  authenticator: SoftAuthenticator;
  origin: string;
  overrides?: OverridesHook;
}

const als = new AsyncLocalStorage<Ctx>();
const SHIM = Symbol.for('passkey-gateway.soft-navigator-credentials');

// ---------- ArrayBuffer <-> base64url helpers for the navigator shim ----------

const toBuf = (u8: Uint8Array): ArrayBuffer => u8.slice().buffer as ArrayBuffer;
const bufToB64url = (b: ArrayBuffer | ArrayBufferView): string =>
  b64url(b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));

function notAllowed(message: string): Error {
  const e = new Error(message);
  e.name = 'NotAllowedError';
  return e;
}

function creationOptionsToJSON(pk: any): PublicKeyCredentialCreationOptionsJSON {
  return {
    ...pk,
    challenge: bufToB64url(pk.challenge),
    user: { ...pk.user, id: bufToB64url(pk.user.id) },
    ...(pk.excludeCredentials ? { excludeCredentials: pk.excludeCredentials.map((c: any) => ({ ...c, id: bufToB64url(c.id) })) } : {}),
  };
}

function requestOptionsToJSON(pk: any): PublicKeyCredentialRequestOptionsJSON {
  return {
    ...pk,
    challenge: bufToB64url(pk.challenge),
    ...(pk.allowCredentials ? { allowCredentials: pk.allowCredentials.map((c: any) => ({ ...c, id: bufToB64url(c.id) })) } : {}),
  };
}

class SoftPublicKeyCredential {
  readonly type = 'public-key';
  constructor(
    readonly id: string,
    readonly rawId: ArrayBuffer,
    readonly authenticatorAttachment: string | null,
    readonly response: Record<string, unknown>,
  ) {}
  getClientExtensionResults(): Record<string, unknown> {
    return {};
  }
}

/** Install `window.PublicKeyCredential` and `navigator.credentials` backed by the ALS-bound authenticator. Idempotent. */
export function installNavigatorShim(): void {
  const g = globalThis as any;
  if (g.navigator?.credentials?.[SHIM]) return;
  if (typeof g.window === 'undefined') {
    Object.defineProperty(g, 'window', { value: {}, configurable: true, writable: true });
  }
  if (!g.window.PublicKeyCredential) g.window.PublicKeyCredential = SoftPublicKeyCredential;
  if (typeof g.navigator === 'undefined') {
    Object.defineProperty(g, 'navigator', { value: {}, configurable: true, writable: true });
  }
  const credentials = {
    [SHIM]: true,
    async create(options: any) {
      const ctx = als.getStore();
      if (!ctx) throw notAllowed('navigator.credentials.create called outside a SoftAuthenticator signer');
      const json = ctx.authenticator.createCredential(creationOptionsToJSON(options.publicKey), ctx.origin, ctx.overrides?.('create'));
      const r = json.response;
      const transports = r.transports ?? [];
      return new SoftPublicKeyCredential(json.id, toBuf(fromB64url(json.rawId)), json.authenticatorAttachment ?? null, {
        clientDataJSON: toBuf(fromB64url(r.clientDataJSON)),
        attestationObject: toBuf(fromB64url(r.attestationObject)),
        getTransports: () => [...transports],
      });
    },
    async get(options: any) {
      const ctx = als.getStore();
      if (!ctx) throw notAllowed('navigator.credentials.get called outside a SoftAuthenticator signer');
      const json = ctx.authenticator.getAssertion(requestOptionsToJSON(options.publicKey), ctx.origin, ctx.overrides?.('get'));
      const r = json.response;
      const userHandle = r.userHandle as string | null | undefined;
      return new SoftPublicKeyCredential(json.id, toBuf(fromB64url(json.rawId)), json.authenticatorAttachment ?? null, {
        clientDataJSON: toBuf(fromB64url(r.clientDataJSON)),
        authenticatorData: toBuf(fromB64url(r.authenticatorData)),
        signature: toBuf(fromB64url(r.signature)),
        userHandle: userHandle == null ? null : toBuf(fromB64url(userHandle)),
      });
    },
  };
  Object.defineProperty(g.navigator, 'credentials', { value: credentials, configurable: true, writable: true });
}

// Non-literal specifier: keeps tsc from loading webauthn-signer's d.ts, which has
// `/// <reference lib="dom" />` and would pull the DOM lib into the whole test compilation.
const WEBAUTHN_SIGNER_PKG: string = '@0xpass/webauthn-signer';

interface WebauthnSignerLike extends PassportSigner {}
type WebauthnSignerCtor = new (config: { rpId: string; rpName: string }) => WebauthnSignerLike;
let webauthnSignerCtor: Promise<WebauthnSignerCtor> | undefined;

function missingPublicKey(options: unknown): boolean {
  return typeof options !== 'object' || options === null || !('publicKey' in options);
}

export async function createSoftSigner(opts: SoftSignerOptions): Promise<PassportSigner> {
  const ctx: Ctx = { authenticator: opts.authenticator, origin: opts.origin, ...(opts.overrides ? { overrides: opts.overrides } : {}) };
  if ((opts.mode ?? 'webauthn-signer') === 'direct') {
    return {
      async create(options) {
        if (missingPublicKey(options)) throw new Error('Missing key: publicKey');
        const pk = (options as { publicKey: PublicKeyCredentialCreationOptionsJSON }).publicKey;
        return ctx.authenticator.createCredential(pk, ctx.origin, ctx.overrides?.('create'));
      },
      async sign(options) {
        if (missingPublicKey(options)) throw new Error('Missing key: publicKey');
        const pk = (options as { publicKey: PublicKeyCredentialRequestOptionsJSON }).publicKey;
        return ctx.authenticator.getAssertion(pk, ctx.origin, ctx.overrides?.('get'));
      },
      getHeaderName: () => 'X-Encrypted-WebAuthn-Signature',
      getAllowCredentials: async () => ({ key: [], webauthn: [] }),
    };
  }
  installNavigatorShim();
  webauthnSignerCtor ??= import(WEBAUTHN_SIGNER_PKG).then((m: { WebauthnSigner: WebauthnSignerCtor }) => m.WebauthnSigner);
  const Ctor = await webauthnSignerCtor;
  // rpId/rpName are stored but unused by WebauthnSigner 2.0.0's create/sign.
  const inner = new Ctor({ rpId: new URL(opts.origin).hostname, rpName: 'soft' });
  return {
    create: (options) => als.run(ctx, () => inner.create(options)),
    sign: (options) => als.run(ctx, () => inner.sign(options)),
    getHeaderName: () => inner.getHeaderName(),
    getAllowCredentials: () => inner.getAllowCredentials(),
  };
}

/** A Passport SDK instance, encryption set up, whose signer is the given SoftAuthenticator. */
export async function createPassportClient(opts: PassportClientOptions): Promise<Passport> {
  const signer = opts.signer ?? (await createSoftSigner(opts));
  const passport = new Passport({
    scopeId: opts.scopeId,
    signer: signer as ConstructorParameters<typeof Passport>[0]['signer'],
    network: opts.url as unknown as Network,
    enclavePublicKey: opts.publicKeyBase64,
    allowSessions: opts.allowSessions ?? true,
  });
  await passport.setupEncryption();
  return passport;
}

/** Raw credential JSON from what `register()` puts in `.attestation` (JSON in 'direct' mode, a PublicKeyCredential-like with toJSON() otherwise). */
export function attestationJSON(attestation: unknown): any {
  return JSON.parse(JSON.stringify(attestation));
}
