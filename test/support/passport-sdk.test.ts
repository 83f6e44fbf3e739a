import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants, createCipheriv, createDecipheriv, generateKeyPairSync, privateDecrypt, randomBytes, type KeyObject } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { SoftAuthenticator } from '../../scripts/lib/soft-authenticator.js';
import { match } from './match.js';
import { attestationJSON, createPassportClient, type SignerMode } from './passport-sdk.js';

/** A JSON-RPC request as the SDK sends it; each method sends some of these params. */
interface SdkRequest {
  jsonrpc: string;
  id: number;
  method: string;
  params: {
    encrypted_user: string;
    challenge_id?: string;
    encrypted_attestation?: string;
    encrypted_assertion?: string;
    regenerate_seed?: boolean;
  };
}

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: SdkRequest | undefined;
}

type Handler = (req: Recorded) => { status?: number; body: unknown };

async function startServer(handler: Handler): Promise<{ url: string; requests: Recorded[]; server: Server }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? (JSON.parse(text) as SdkRequest) : undefined };
      requests.push(rec);
      let out: { status?: number; body: unknown };
      try {
        out = handler(rec);
      } catch (e) {
        out = { body: { jsonrpc: '2.0', id: rec.body?.id ?? null, error: { code: -32603, message: String(e), data: 'test_server' } } };
      }
      res.writeHead(out.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, server };
}

const stopServer = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));

// Gateway-side envelope helpers (wire doc: base64(iv[12] ‖ ciphertext ‖ tag[16]), AES-256-GCM, no AAD).
function unwrapKey(privateKey: KeyObject, header: string): Buffer {
  const keyB64 = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(header, 'base64')).toString('utf8');
  expect(keyB64).toHaveLength(44);
  const key = Buffer.from(keyB64, 'base64');
  expect(key).toHaveLength(32);
  return key;
}
function open(key: Buffer, envelope: string): string {
  const raw = Buffer.from(envelope, 'base64');
  const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString('utf8');
}
function seal(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64');
}

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKeyBase64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const SCOPE_ID = '6c1b1a4e-3f7e-4a43-9a5c-0d5d2b6f1e11';
const ORIGIN = 'http://localhost:3000';
const RP_ID = 'localhost';

describe('Passport SDK against a local recording server', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  afterEach(async () => {
    if (srv) await stopServer(srv.server);
  });

  it('initiateRegistration: headers, body, key unwrap, envelopes', async () => {
    srv = await startServer((req) => ({
      body: { jsonrpc: '2.0', id: req.body?.id, error: { code: -32000, message: 'nope', data: 'test_reason' } },
    }));
    const authenticator = new SoftAuthenticator({ algorithm: 'EdDSA', attestation: 'none' });
    const passport = await createPassportClient({ url: srv.url, scopeId: SCOPE_ID, publicKeyBase64, authenticator, origin: ORIGIN });

    await expect(passport.register({ username: 'alice', userDisplayName: 'Alice A' })).rejects.toThrow(
      'error message: nope, error data: test_reason',
    );
    expect(srv.requests).toHaveLength(1);
    const [req] = srv.requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/'); // exactly the URL given, no path appended
    expect(req!.headers['content-type']).toMatch(/^application\/json/);
    expect(req!.headers['x-scope-id']).toBe(SCOPE_ID);
    expect(typeof req!.headers['x-encrypted-key']).toBe('string');
    expect(typeof req!.headers['x-encrypted-user']).toBe('string');
    expect(req!.headers['x-encrypted-session']).toBeUndefined();
    expect(req!.body).toEqual({ jsonrpc: '2.0', id: 1, method: 'initiateRegistration', params: { encrypted_user: match.any(String) } });

    const key = unwrapKey(privateKey, req!.headers['x-encrypted-key'] as string);
    expect(open(key, req!.headers['x-encrypted-user'] as string)).toBe('null');
    expect(JSON.parse(open(key, req!.body!.params.encrypted_user))).toEqual({ username: 'alice', userDisplayName: 'Alice A' });
    // Same AES key for the instance's lifetime
    expect(passport.encryptedAesKey).toBe(req!.headers['x-encrypted-key']);
  });

  it('non-2xx status: the SDK throws only "Server error: <status>"', async () => {
    srv = await startServer(() => ({ status: 400, body: { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'bad' } } }));
    const passport = await createPassportClient({
      url: srv.url,
      scopeId: SCOPE_ID,
      publicKeyBase64,
      authenticator: new SoftAuthenticator({ algorithm: 'ES256', attestation: 'none' }),
      origin: ORIGIN,
      mode: 'direct',
    });
    await expect(passport.authenticate({ username: 'a', userDisplayName: 'a' })).rejects.toThrow(/^Server error: 400$/);
  });

  // A toy gateway (simplewebauthn + envelopes) to prove the signer adapter through full SDK ceremonies.
  describe.each<[SignerMode]>([['webauthn-signer'], ['direct']])('full ceremonies, signer mode %s', (mode) => {
    it('register() then authenticate()', async () => {
      const challenges = new Map<string, string>();
      let userId: string | undefined;
      const k1 = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true);
      const k1Hex = Buffer.from(k1).toString('hex');
      const seen: {
        initUser?: string;
        attestation?: RegistrationResponseJSON;
        regChallenge?: string;
        assertion?: AuthenticationResponseJSON;
        authChallenge?: string;
      } = {};

      const handler: Handler = (req) => {
        const key = unwrapKey(privateKey, req.headers['x-encrypted-key'] as string);
        const { method, params, id } = req.body!;
        const ok = (result: unknown) => ({ body: { jsonrpc: '2.0', id, result } });
        const user = JSON.parse(open(key, params.encrypted_user)) as { username: string };
        const cid = randomBytes(8).toString('hex');
        switch (method) {
          case 'initiateRegistration': {
            // generateRegistrationOptions is async: its options are made below, before register() calls here.
            const opts = pendingReg;
            challenges.set(cid, opts.challenge);
            userId = opts.user.id;
            seen.initUser = params.encrypted_user;
            return ok({ challenge_id: cid, encrypted_creation_challenge: seal(key, JSON.stringify({ publicKey: opts })) });
          }
          case 'completeRegistration': {
            expect(params.encrypted_user).toBe(seen.initUser);
            seen.attestation = JSON.parse(open(key, params.encrypted_attestation!)) as RegistrationResponseJSON;
            seen.regChallenge = challenges.get(params.challenge_id!);
            return ok({ account_id: 'acct-1', identifier_hash: 'hash-1', username: user.username });
          }
          case 'initiateAuthentication': {
            expect(params.regenerate_seed).toBe(false);
            const opts = pendingAuth;
            challenges.set(cid, opts.challenge);
            return ok({ challenge_id: cid, encrypted_request_challenge: seal(key, JSON.stringify({ publicKey: opts })) });
          }
          case 'completeAuthentication': {
            seen.assertion = JSON.parse(open(key, params.encrypted_assertion!)) as AuthenticationResponseJSON;
            seen.authChallenge = challenges.get(params.challenge_id!);
            const payload = Buffer.from(JSON.stringify({ sub: 'acct-1', public_key: k1Hex })).toString('base64url');
            return ok({ encrypted_jwt: seal(key, `eyJhbGciOiJub25lIn0.${payload}.c2ln`) });
          }
          default:
            throw new Error(`unexpected ${method}`);
        }
      };
      srv = await startServer(handler);

      const authenticator = new SoftAuthenticator({ algorithm: 'ES256', attestation: 'packed-self' });
      const passport = await createPassportClient({ url: srv.url, scopeId: SCOPE_ID, publicKeyBase64, authenticator, origin: ORIGIN, mode });

      const pendingReg = await generateRegistrationOptions({
        rpName: 'Toy',
        rpID: RP_ID,
        userName: 'alice',
        attestationType: 'direct',
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        preferredAuthenticatorType: 'localDevice', // adds `hints`, which webauthn-json drops
      });
      const reg = (await passport.register({ username: 'alice', userDisplayName: 'Alice' })) as { attestation: unknown };
      expect(reg).toMatchObject({ jsonrpc: '2.0', id: 1, result: { account_id: 'acct-1', identifier_hash: 'hash-1' } });
      expect(attestationJSON(reg.attestation)).toEqual(seen.attestation);

      // What the gateway receives: a PublicKeyCredential.toJSON()
      // (key order differs: webauthn-json emits type first; order is irrelevant to JSON consumers)
      const attestation = seen.attestation!;
      expect(Object.keys(attestation).sort()).toEqual(['authenticatorAttachment', 'clientExtensionResults', 'id', 'rawId', 'response', 'type']);
      expect(attestation).toMatchObject({ type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {} });
      expect(Object.keys(attestation.response).sort()).toEqual(['attestationObject', 'clientDataJSON', 'transports']);
      const vr = await verifyRegistrationResponse({
        response: attestation,
        expectedChallenge: seen.regChallenge!,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        requireUserVerification: true,
      });
      expect(vr.verified).toBe(true);
      const credential = vr.registrationInfo!.credential;

      const pendingAuth = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: credential.id }], userVerification: 'required' });
      const [headers, address] = (await passport.authenticate({ username: 'alice', userDisplayName: 'Alice' })) as [Record<string, string>, string];
      const assertion = seen.assertion!;
      expect(Object.keys(assertion).sort()).toEqual(['authenticatorAttachment', 'clientExtensionResults', 'id', 'rawId', 'response', 'type']);
      expect(Object.keys(assertion.response).sort()).toEqual(['authenticatorData', 'clientDataJSON', 'signature', 'userHandle']);
      expect(assertion.response.userHandle).toBe(userId);
      const va = await verifyAuthenticationResponse({
        response: assertion,
        expectedChallenge: seen.authChallenge!,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential,
        requireUserVerification: true,
      });
      expect(va.verified).toBe(true);
      expect(va.authenticationInfo.newCounter).toBe(1);

      expect(Object.keys(headers).sort()).toEqual(['X-Encrypted-Key', 'X-Encrypted-Session', 'X-Encrypted-User', 'X-Scope-Id']);
      expect(address).toMatch(/^0x[0-9a-f]{40}$/);
      expect(srv.requests.map((r) => r.body?.method)).toEqual([
        'initiateRegistration',
        'completeRegistration',
        'initiateAuthentication',
        'completeAuthentication',
      ]);
      expect(new Set(srv.requests.map((r) => r.headers['x-encrypted-key'])).size).toBe(1);
    });
  });
});
