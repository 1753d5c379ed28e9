import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { MAX_REQUEST_BODY_BYTES } from '@prasar/config';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { connectEventTransport } from '@prasar/kafka';
import { requireUnprivilegedRole } from '@prasar/persistence';
import { createLogger } from '@prasar/telemetry';
import { DataSource } from 'typeorm';

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
  const app = await NestFactory.create<NestExpressApplication>(def.module, {
    bufferLogs: true,
    rawBody: def.rawBody ?? false,
    bodyParser: false,
    // A start-up error is thrown to the caller (bootstrapService logs it and exits), not turned into
    // process.exit inside Nest: looking up an optional provider must not end the process.
    abortOnError: false,
  });
  useRequestBodyLimit(app);
  app.useLogger(app.get(PinoNestLogger));
  // A service with a database refuses a role that row-level security would not bind.
  const ds = databaseOf(app);
  if (ds && process.env.DATABASE_ROLE_CHECK !== 'false') await requireUnprivilegedRole(ds);
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

/** The service's DataSource, when it has a database (the gateway and the simulator have none). */
function databaseOf(app: INestApplication): DataSource | undefined {
  try {
    return app.get(DataSource, { strict: false });
  } catch {
    return undefined;
  }
}

/**
 * The platform's one body size limit (MAX_REQUEST_BODY_BYTES, the gateway's too) instead of Express's
 * 100 kB default: a request the gateway accepted is never refused by the service behind it.
 */
export function useRequestBodyLimit(app: NestExpressApplication): void {
  app.useBodyParser('json', { limit: MAX_REQUEST_BODY_BYTES });
  app.useBodyParser('urlencoded', { limit: MAX_REQUEST_BODY_BYTES, extended: true });
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
