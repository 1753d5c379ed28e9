import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { connectEventTransport } from '@prasar/kafka';
import { createLogger } from '@prasar/telemetry';

export interface ServiceDefinition {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  module: any;
  port: number;
  /** Interface to bind; loopback by default, 0.0.0.0 in a container (HOST). */
  host?: string;
  /** Whether the service consumes events (its module configures EventingModule with `consume`). */
  consumesEvents?: boolean;
  /** Keep each request's raw body as `req.rawBody` (for webhook signatures over the exact bytes). */
  rawBody?: boolean;
}

/** The one way a Prasar service starts: Nest with pino logs, the Kafka transport, graceful shutdown. */
export async function startService(def: ServiceDefinition): Promise<INestApplication> {
  const app = await NestFactory.create(def.module, { bufferLogs: true, rawBody: def.rawBody ?? false });
  app.useLogger(app.get(PinoNestLogger));
  // SIGTERM/SIGINT: close the app (consumers leave their groups, pollers stop, pools drain), then
  // exit normally, so exit hooks (a V8 CPU profile, for one) still run.
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  if (def.consumesEvents) {
    connectEventTransport(app);
    await app.startAllMicroservices();
  }
  await app.listen(def.port, def.host ?? process.env.HOST ?? '127.0.0.1');
  return app;
}

/** startService for a main.ts: logs and exits non-zero if start-up fails. */
export function bootstrapService(def: ServiceDefinition): void {
  const logger = createLogger(def.name);
  startService(def).then(
    () => logger.info({ port: def.port }, `${def.name} listening`),
    (err: unknown) => {
      logger.fatal({ err }, `${def.name} failed to start`);
      process.exit(1);
    },
  );
}
export * from './periodic';
