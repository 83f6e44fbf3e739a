/** Input limits, in one place. */
export const limits = {
  bodyBytes: 64 * 1024,
  batchLength: 20,
  /** base64 of an envelope: comfortably above any real attestation (a few KiB). */
  envelopeChars: 48 * 1024,
  /** base64 of an RSA-4096 ciphertext is 684 characters. */
  encryptedKeyChars: 1024,
  headerEnvelopeChars: 8 * 1024,
  credentialsPerAccount: 10,
  credentialNameChars: 100,
} as const;
