/**
 * Decodes standard, padded, canonical base64 and nothing else. Node's decoder silently skips
 * invalid characters and missing padding, which would let malformed input reach the cipher; its
 * encoder only ever writes the canonical form, so a value that survives the round trip unchanged
 * was exactly that (several times faster than a validating regular expression on long values).
 */
export function decodeStrictBase64(value: string): Buffer | null {
  if (value.length === 0) return null;
  const bytes = Buffer.from(value, 'base64');
  return bytes.toString('base64') === value ? bytes : null;
}
