// The Prasar GraphQL gateway: one endpoint for departments, federating the services' subgraphs.
import { createLogger, getMetricsHandler, shutdownTelemetry } from '@prasar/telemetry';
import { loadGatewayConfigOrExit } from './config';
import { createGatewayServer, shutdownGatewayServer } from './server';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadGatewayConfigOrExit();
  const log = createLogger('gateway');
  const metrics = getMetricsHandler();
  const server = await createGatewayServer({
    config,
    log,
    middleware: [
      (req, res, next) => (req.method === 'GET' && req.url === '/metrics' ? metrics(req, res) : next()),
    ],
  });
  const host = process.env.HOST ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, host, () => resolve());
  });
  log.info(
    { port: config.PORT, planner: config.GATEWAY_QUERY_PLANNER },
    `gateway listening on http://${host}:${config.PORT}/graphql`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'gateway draining');
    shutdownGatewayServer(server, SHUTDOWN_GRACE_MS)
      .then(() => shutdownTelemetry())
      .then(
        () => {
          log.info('gateway stopped');
          process.exit(0);
        },
        (err: unknown) => {
          log.error({ err }, 'gateway shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `gateway failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
