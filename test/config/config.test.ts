import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('configuration from the environment', () => {
  it('should run with no configuration at all on embedded defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 9545, host: '127.0.0.1', metricsPort: 9546, metricsHost: '127.0.0.1', redisUrl: undefined, databaseUrl: undefined, logLevel: 'info', rsaKeyBits: 2048, allowedOrigins: [] });
    expect(config.dataDir.endsWith('/data')).toBe(true);
    expect(config.rsaPrivateKeyFile).toBe(`${config.dataDir}/rsa-private-key.pem`);
  });

  it('should read every documented variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      METRICS_PORT: '9100',
      METRICS_HOST: '10.0.0.5',
      DATA_DIR: '/tmp/pkgw',
      REDIS_URL: 'redis://cache:6379',
      DATABASE_URL: 'postgres://db/gateway',
      LOG_LEVEL: 'warn',
      ALLOWED_ORIGINS: 'http://localhost:3000, https://app.example',
      RSA_KEY_BITS: '3072',
      RSA_PRIVATE_KEY_FILE: '/keys/current.pem',
      RSA_PREVIOUS_KEY_FILES: '/keys/old1.pem,/keys/old2.pem',
      IDENTIFIER_SECRET_FILE: '/keys/identifier-secret',
      ACCOUNT_KEY_SECRET_FILE: '/keys/account-key-secret',
      SESSION_KEY_FILE: '/keys/session.pem',
      SESSION_PREVIOUS_KEY_FILES: '/keys/session-old.pem',
      SESSION_ISSUER: 'https://login.example',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      metricsPort: 9100,
      metricsHost: '10.0.0.5',
      dataDir: '/tmp/pkgw',
      redisUrl: 'redis://cache:6379',
      databaseUrl: 'postgres://db/gateway',
      logLevel: 'warn',
      allowedOrigins: ['http://localhost:3000', 'https://app.example'],
      rsaKeyBits: 3072,
      rsaPrivateKeyFile: '/keys/current.pem',
      rsaPreviousKeyFiles: ['/keys/old1.pem', '/keys/old2.pem'],
      identifierSecretFile: '/keys/identifier-secret',
      accountKeySecretFile: '/keys/account-key-secret',
      sessionKeyFile: '/keys/session.pem',
      sessionPreviousKeyFiles: ['/keys/session-old.pem'],
      sessionIssuer: 'https://login.example',
    });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['METRICS_PORT', 'ninety'],
    ['METRICS_PORT', '-1'],
    ['METRICS_PORT', '65536'],
    ['METRICS_HOST', '   '],
    ['REDIS_URL', 'http://cache'],
    ['DATABASE_URL', 'mysql://db'],
    ['LOG_LEVEL', 'loud'],
    ['RSA_KEY_BITS', '1024'],
    ['ALLOWED_ORIGINS', 'http://ok.example,not an origin'],
    ['MDS_SIGNER_NAME', '*.fidoalliance.org'],
    ['MDS_SIGNER_NAME', 'mds fidoalliance org'],
  ])('should stop with a message naming %s when it is %p', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(name);
  });

  it('should pin the metadata BLOB signer to mds.fidoalliance.org unless MDS_SIGNER_NAME names another', () => {
    expect(loadConfig({}).mdsSignerName).toBe('mds.fidoalliance.org');
    expect(loadConfig({ MDS_SIGNER_NAME: ' MDS.Example.test ' }).mdsSignerName).toBe('mds.example.test');
  });

  it('should stop when METRICS_PORT is PORT on the same host, and take any free port for each when both are 0', () => {
    expect(() => loadConfig({ PORT: '9000', METRICS_PORT: '9000' })).toThrow(/METRICS_PORT/);
    expect(loadConfig({ PORT: '9000', METRICS_PORT: '9000', METRICS_HOST: '10.0.0.5' }).metricsPort).toBe(9000);
    expect(loadConfig({ PORT: '0', METRICS_PORT: '0' })).toMatchObject({ port: 0, metricsPort: 0 });
  });

  it('should default webhook delivery to https-only, retried for 24 hours, and refuse inconsistent or out-of-range timings', () => {
    expect(loadConfig({}).webhooks).toEqual({
      allowLoopback: false,
      pollIntervalMs: 1000,
      timeoutMs: 10_000,
      retry: { baseDelayMs: 5000, maxDelayMs: 3_600_000, retryForMs: 86_400_000 },
    });
    expect(loadConfig({ WEBHOOK_ALLOW_LOOPBACK: 'on', WEBHOOK_POLL_INTERVAL_MS: '50', WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_RETRY_MAX_DELAY_MS: '200', WEBHOOK_RETRY_FOR_MS: '400' }).webhooks).toMatchObject({
      allowLoopback: true,
      pollIntervalMs: 50,
      retry: { baseDelayMs: 50, maxDelayMs: 200, retryForMs: 400 },
    });
    for (const [name, value] of [
      ['WEBHOOK_ALLOW_LOOPBACK', 'yes'],
      ['WEBHOOK_POLL_INTERVAL_MS', '0'],
      ['WEBHOOK_TIMEOUT_MS', '600000'],
      ['WEBHOOK_RETRY_BASE_MS', 'soon'],
      ['WEBHOOK_RETRY_MAX_DELAY_MS', '1000'],
      ['WEBHOOK_RETRY_FOR_MS', '-1'],
    ]) {
      expect(() => loadConfig({ [name!]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name!]: value })).toThrow(name);
    }
  });
});
