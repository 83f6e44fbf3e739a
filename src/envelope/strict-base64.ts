const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard, padded base64 and nothing else. Node's decoder silently skips invalid
 * characters, which would let malformed input reach the cipher.
 */
export function decodeStrictBase64(value: string): Buffer | null {
  if (value.length === 0 || !STANDARD_BASE64.test(value)) return null;
  return Buffer.from(value, 'base64');
}
