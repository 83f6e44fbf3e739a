/** Input limits, in one place. */
export const limits = {
  bodyBytes: 64 * 1024,
  batchLength: 20,
  /** base64 of an envelope: comfortably above any real attestation (a few KiB). */
  envelopeChars: 48 * 1024,
  /** base64 of an RSA-4096 ciphertext is 684 characters. */
  encryptedKeyChars: 1024,
  headerEnvelopeChars: 8 * 1024,
  /** All request headers together (Node's own limit; over it Node answers 431 itself). */
  headerBytes: 16 * 1024,
  /** Any one header value; the longest legitimate one is X-Encrypted-Session (a sealed JWT). Over it: 431. */
  headerValueChars: 8 * 1024,
  credentialsPerAccount: 10,
  credentialNameChars: 100,
  /** After NFKC and trimming; the raw string may be 4× that before normalization. */
  usernameChars: 256,
  displayNameChars: 256,
  /** base64url of the 1023-byte maximum credential id. */
  credentialIdChars: 1366,
  sessionJwtChars: 8192,
  /** Pieces of an authenticator response, base64url: real ones are a few KiB at most. */
  clientDataJsonChars: 4096,
  attestationObjectChars: 32 * 1024,
  authenticatorDataChars: 4096,
  signatureChars: 1024,
  /** base64url of the 64-byte maximum user handle. */
  userHandleChars: 128,
  /** personal_sign: the message's bytes (hex or UTF-8). */
  messageBytes: 16 * 1024,
  /** eth_signTypedData_v4: the typed data as JSON text. */
  typedDataChars: 32 * 1024,
  /** Struct types in typed data, fields in one of them, and nesting of its message (structs and arrays). */
  typedDataTypes: 50,
  typedDataFields: 100,
  typedDataDepth: 16,
  /** A type or field name in typed data. */
  typedDataNameChars: 100,
  /** eth_signTransaction: the call data's bytes (what fits in the body as hex). */
  transactionDataBytes: 24 * 1024,
  /** Access list of a type-2 transaction: addresses, and storage keys per address. */
  accessListEntries: 64,
  accessListKeys: 64,
  /** A delegate public key (base64 SPKI DER of RSA-4096 is 736 characters), and a key signature (base64). */
  delegatePublicKeyChars: 1024,
  keySignatureChars: 1024,
  /** Delegate keys per scope. */
  delegateKeysPerScope: 20,
  /** Working (not revoked) server API keys per scope, and the length of a key's name. */
  apiKeysPerScope: 20,
  apiKeyNameChars: 100,
  /** How long a key signature counts, from its user's issued_at, and how far ahead of the gateway's clock that may be. */
  keySignatureWindowSeconds: 300,
  keySignatureClockSkewSeconds: 60,
  /** Webhook endpoints per scope, and the length of an endpoint's URL. */
  webhooksPerScope: 10,
  webhookUrlChars: 2048,
  /** The part of a webhook receiver's answer the gateway reads (it needs the status only). */
  webhookResponseBytes: 64 * 1024,
} as const;
