import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const SECRET_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEALED_PREFIX = 'v1.';

/** A new endpoint's signing secret in the Standard Webhooks form: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/**
 * Seals and opens endpoint secrets. A signing secret must be usable, so it cannot be stored as a
 * hash like the gateway's other secrets: it is stored AES-256-GCM sealed under a key derived from
 * the identifier secret (which every gateway sharing a database already shares), bound to its
 * endpoint id so a sealed secret copied onto another endpoint does not open. A database dump alone
 * then signs nothing.
 */
export interface WebhookSecretBox {
  seal(webhookId: string, secret: string): string;
  open(webhookId: string, sealed: string): string;
}

export function webhookSecretBox(identifierSecret: Buffer): WebhookSecretBox {
  const key = Buffer.from(hkdfSync('sha256', identifierSecret, Buffer.alloc(0), 'passkey-gateway webhook secrets v1', 32));
  return {
    seal(webhookId, secret) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(webhookId, 'utf8'));
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return SEALED_PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    open(webhookId, sealed) {
      if (!sealed.startsWith(SEALED_PREFIX)) throw new Error(`webhook ${webhookId}: sealed secret in an unknown format`);
      const bytes = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(webhookId, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    },
  };
}
