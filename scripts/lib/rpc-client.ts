import { constants, createCipheriv, createDecipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';

/** Client-side half of the wire protocol, written independently of the server's code. */
export function wrapKey(aesKey: Buffer, publicKeySpkiBase64: string, form: 'base64-text' | 'raw' = 'base64-text'): string {
  const publicKey = createPublicKey({ key: Buffer.from(publicKeySpkiBase64, 'base64'), format: 'der', type: 'spki' });
  const plaintext = form === 'raw' ? aesKey : Buffer.from(aesKey.toString('base64'), 'utf8');
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, plaintext).toString('base64');
}

export function seal(aesKey: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

export function open(aesKey: Buffer, envelope: string): string {
  const bytes = Buffer.from(envelope, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', aesKey, bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
}

export interface JsonRpcReply {
  jsonrpc: '2.0';
  id: number | string | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: string };
}

/** One client with its own AES key, reused across calls as the SDK does. */
export class RpcClient {
  readonly aesKey = randomBytes(32);
  readonly encryptedKey: string;
  private nextId = 1;

  constructor(
    readonly url: string,
    readonly scopeId: string,
    publicKeySpki: string,
    readonly origin?: string,
  ) {
    this.encryptedKey = wrapKey(this.aesKey, publicKeySpki);
  }

  seal(value: unknown): string {
    return seal(this.aesKey, JSON.stringify(value));
  }

  openJson<T = unknown>(envelope: unknown): T {
    if (typeof envelope !== 'string') throw new Error(`expected an envelope, got ${JSON.stringify(envelope)}`);
    return JSON.parse(open(this.aesKey, envelope)) as T;
  }

  headers(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const all: Record<string, string | undefined> = {
      'content-type': 'application/json',
      'x-scope-id': this.scopeId,
      'x-encrypted-key': this.encryptedKey,
      'x-encrypted-user': seal(this.aesKey, 'null'),
      origin: this.origin,
      ...extra,
    };
    return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
  }

  async call(method: string, params: unknown, extraHeaders: Record<string, string | undefined> = {}): Promise<JsonRpcReply> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: this.headers(extraHeaders),
      body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
    });
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    return (await response.json()) as JsonRpcReply;
  }
}

/** `getEncryptionKey`: the gateway's RSA public key (base64 SPKI), which needs no scope or envelope. */
export async function fetchEncryptionKey(url: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getEncryptionKey' }),
  });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
  const reply = (await response.json()) as JsonRpcReply;
  if (reply.error !== undefined) throw new Error(`error ${reply.error.data ?? reply.error.message}`);
  return String(reply.result?.public_key);
}
