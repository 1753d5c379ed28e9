// The platform simulator: fakes the slice of X, Facebook, Instagram and WhatsApp Cloud that the
// publisher calls, in memory, with a control API for tests (README.md).
import { createLogger, getMetricsHandler, shutdownTelemetry } from '@prasar/telemetry';
import { loadSimConfigOrExit } from './config';
import { createSimServer } from './server';

async function main(): Promise<void> {
  const config = loadSimConfigOrExit();
  const log = createLogger('platform-sim');
  const { server, close } = createSimServer({
    log,
    adminToken: config.SIM_ADMIN_TOKEN,
    control: config.SIM_CONTROL,
    clock: {
      frozen: config.SIM_CLOCK === 'frozen',
      start: config.SIM_CLOCK_START ? new Date(config.SIM_CLOCK_START) : undefined,
    },
    webhook:
      config.SIM_WHATSAPP_WEBHOOK_URL && config.SIM_META_APP_SECRET
        ? { url: config.SIM_WHATSAPP_WEBHOOK_URL, appSecret: config.SIM_META_APP_SECRET }
        : undefined,
    webhookTimeoutMs: config.SIM_WEBHOOK_TIMEOUT_MS,
    metrics: getMetricsHandler(),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  log.info(
    { port: config.PORT, control: config.SIM_CONTROL, clock: config.SIM_CLOCK },
    `platform simulator listening on http://${config.HOST}:${config.PORT}`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'platform simulator stopping');
    close()
      .then(() => shutdownTelemetry())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'platform simulator shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `platform-sim failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
