import { createGateway } from './app.js';
import { printsBanner, runWorkers } from './cluster/workers.js';
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './log/logger.js';

/** Entry point: configuration from the environment, then the gateway, then a banner on stdout. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  // With WORKERS > 1 this process becomes the node:cluster primary and the workers run the rest.
  if (await runWorkers(config, log)) return;
  const gateway = await createGateway(config, log);
  const url = await gateway.listen();
  if (printsBanner()) process.stdout.write(
    [
      `passkey-gateway listening on ${url}`,
      `  encryption public key (base64 SPKI, the SDK's enclavePublicKey): ${gateway.rsaKeys.current.publicKeySpki}`,
      `  development scope id: ${gateway.developmentScopeId ?? '(none: scopes already exist)'}`,
      `  challenges: ${gateway.stores.describe.challenges}; accounts: ${gateway.stores.describe.accounts}`,
      ...(config.demo ? [`  demo app: ${url}/demo`] : []),
      ...(config.adminConsole ? [`  admin console: ${config.publicOrigin}/admin (invite an operator: npm run -s operator -- invite)`] : []),
      `  metrics (Prometheus, own listener): ${gateway.metricsUrl}`,
      '',
    ].join('\n'),
  );

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    // Requests in flight get the grace period; closing the stores gets a little more.
    const deadline = setTimeout(() => process.exit(1), config.shutdownGraceMs + 5_000);
    deadline.unref();
    gateway.close({ graceMs: config.shutdownGraceMs }).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`passkey-gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
