// The Prasar Console's server: the web app's static files and `/graphql` passed to the gateway.
import { createLogger, getMetricsHandler, shutdownTelemetry } from '@prasar/telemetry';
import { loadConsoleConfigOrExit } from './config';
import { createConsoleServer } from './server';

function main(): void {
  const config = loadConsoleConfigOrExit();
  const log = createLogger('console');
  const metrics = getMetricsHandler();
  const server = createConsoleServer({
    config,
    log,
    middleware: [
      (req, res, next) => (req.method === 'GET' && req.url === '/metrics' ? metrics(req, res) : next()),
    ],
  });
  const host = process.env.HOST ?? '127.0.0.1';
  server.once('error', (err) => {
    log.error({ err }, 'console failed to listen');
    process.exit(1);
  });
  server.listen(config.PORT, host, () =>
    log.info({ port: config.PORT }, `console listening on http://${host}:${config.PORT}/`),
  );
  const stop = () => {
    server.close(() => {
      shutdownTelemetry().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

try {
  main();
} catch (err) {
  process.stderr.write(`console failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
