import { pino, type Logger } from 'pino';

/**
 * JSON logs to stdout. Redaction is a second line of defence: the code never hands keys,
 * envelopes or attestation bytes to the logger in the first place.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'passkey-gateway' },
      redact: {
        paths: ['headers["x-encrypted-key"]', 'headers["x-encrypted-user"]', 'headers["x-encrypted-session"]', 'headers.authorization', '*.key', '*.privateKey', '*.secret', '*.token', '*.registration_token', '*.sign_in_token', '*.code'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
