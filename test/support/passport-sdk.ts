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
import { Passport } from '@0xpass/passport';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialDescriptorJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
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

/** The signer interface the Passport SDK calls. What create and sign resolve to, it JSON-encodes and sends. */
export interface PassportSigner {
  create(options: unknown): Promise<unknown>;
  sign(options: unknown): Promise<unknown>;
  getHeaderName(): string;
  getAllowCredentials(): Promise<{ key: unknown[]; webauthn: unknown[] }>;
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

/** A BufferSource: how webauthn-json hands the binary fields of the options to navigator.credentials. */
type Binary = ArrayBuffer | ArrayBufferView;
type WithBinaryId<T extends { id: string }> = Omit<T, 'id'> & { id: Binary };

/** `publicKey` of what navigator.credentials.create gets: the JSON options with challenge and ids decoded. */
type CreationOptions = Omit<PublicKeyCredentialCreationOptionsJSON, 'challenge' | 'user' | 'excludeCredentials'> & {
  challenge: Binary;
  user: WithBinaryId<PublicKeyCredentialCreationOptionsJSON['user']>;
  excludeCredentials?: WithBinaryId<PublicKeyCredentialDescriptorJSON>[];
};

/** `publicKey` of what navigator.credentials.get gets. */
type RequestOptions = Omit<PublicKeyCredentialRequestOptionsJSON, 'challenge' | 'allowCredentials'> & {
  challenge: Binary;
  allowCredentials?: WithBinaryId<PublicKeyCredentialDescriptorJSON>[];
};

const toBuf = (u8: Uint8Array): ArrayBuffer => u8.slice().buffer;
const bufToB64url = (b: Binary): string =>
  b64url(b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));

function notAllowed(message: string): Error {
  const e = new Error(message);
  e.name = 'NotAllowedError';
  return e;
}

function creationOptionsToJSON({ challenge, user, excludeCredentials, ...rest }: CreationOptions): PublicKeyCredentialCreationOptionsJSON {
  return {
    ...rest,
    challenge: bufToB64url(challenge),
    user: { ...user, id: bufToB64url(user.id) },
    ...(excludeCredentials ? { excludeCredentials: excludeCredentials.map((c) => ({ ...c, id: bufToB64url(c.id) })) } : {}),
  };
}

function requestOptionsToJSON({ challenge, allowCredentials, ...rest }: RequestOptions): PublicKeyCredentialRequestOptionsJSON {
  return {
    ...rest,
    challenge: bufToB64url(challenge),
    ...(allowCredentials ? { allowCredentials: allowCredentials.map((c) => ({ ...c, id: bufToB64url(c.id) })) } : {}),
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

/** The browser globals the shim provides, as far as WebauthnSigner and webauthn-json use them. */
interface BrowserWindow {
  PublicKeyCredential?: unknown;
}
interface BrowserNavigator {
  credentials?: { [SHIM]?: true };
}

/** Defines a global the way a browser's are (configurable, writable) and returns its value. */
function defineGlobal<T>(name: string, value: T): T {
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  return value;
}

/** Install `window.PublicKeyCredential` and `navigator.credentials` backed by the ALS-bound authenticator. Idempotent. */
export function installNavigatorShim(): void {
  const g = globalThis as { window?: BrowserWindow; navigator?: BrowserNavigator };
  if (g.navigator?.credentials?.[SHIM]) return;
  const win = g.window ?? defineGlobal<BrowserWindow>('window', {});
  if (!win.PublicKeyCredential) win.PublicKeyCredential = SoftPublicKeyCredential;
  const nav = g.navigator ?? defineGlobal<BrowserNavigator>('navigator', {});
  const credentials = {
    [SHIM]: true,
    // eslint-disable-next-line @typescript-eslint/require-await -- navigator.credentials answers with a Promise: a throw here must become a rejection, as in a browser
    async create(options: { publicKey: CreationOptions }) {
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
    // eslint-disable-next-line @typescript-eslint/require-await -- navigator.credentials answers with a Promise: a throw here must become a rejection, as in a browser
    async get(options: { publicKey: RequestOptions }) {
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
  Object.defineProperty(nav, 'credentials', { value: credentials, configurable: true, writable: true });
}

// Non-literal specifier: keeps tsc from loading webauthn-signer's d.ts, which has
// `/// <reference lib="dom" />` and would pull the DOM lib into the whole test compilation.
const WEBAUTHN_SIGNER_PKG: string = '@0xpass/webauthn-signer';

type WebauthnSignerCtor = new (config: { rpId: string; rpName: string }) => PassportSigner;
let webauthnSignerCtor: Promise<WebauthnSignerCtor> | undefined;

function missingPublicKey(options: unknown): boolean {
  return typeof options !== 'object' || options === null || !('publicKey' in options);
}

export async function createSoftSigner(opts: SoftSignerOptions): Promise<PassportSigner> {
  const ctx: Ctx = { authenticator: opts.authenticator, origin: opts.origin, ...(opts.overrides ? { overrides: opts.overrides } : {}) };
  if ((opts.mode ?? 'webauthn-signer') === 'direct') {
    return {
      // eslint-disable-next-line @typescript-eslint/require-await -- the SDK's signer answers with a Promise: a throw here must become a rejection
      async create(options) {
        if (missingPublicKey(options)) throw new Error('Missing key: publicKey');
        const pk = (options as { publicKey: PublicKeyCredentialCreationOptionsJSON }).publicKey;
        return ctx.authenticator.createCredential(pk, ctx.origin, ctx.overrides?.('create'));
      },
      // eslint-disable-next-line @typescript-eslint/require-await -- the SDK's signer answers with a Promise: a throw here must become a rejection
      async sign(options) {
        if (missingPublicKey(options)) throw new Error('Missing key: publicKey');
        const pk = (options as { publicKey: PublicKeyCredentialRequestOptionsJSON }).publicKey;
        return ctx.authenticator.getAssertion(pk, ctx.origin, ctx.overrides?.('get'));
      },
      getHeaderName: () => 'X-Encrypted-WebAuthn-Signature',
      getAllowCredentials: () => Promise.resolve({ key: [], webauthn: [] }),
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
  // The SDK's declarations import their types from './types' without an extension, which NodeNext
  // resolution cannot follow, so `signer` and `network` are typed `any` here. `network` is really
  // just the URL axios posts to (declared as the `Network` enum).
  const passport = new Passport({
    scopeId: opts.scopeId,
    signer,
    network: opts.url,
    enclavePublicKey: opts.publicKeyBase64,
    allowSessions: opts.allowSessions ?? true,
  });
  await passport.setupEncryption();
  return passport;
}

/** Raw credential JSON from what `register()` puts in `.attestation` (JSON in 'direct' mode, a PublicKeyCredential-like with toJSON() otherwise). */
export function attestationJSON(attestation: unknown): unknown {
  return JSON.parse(JSON.stringify(attestation));
}
