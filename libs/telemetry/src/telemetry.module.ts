import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  Controller,
  Get,
  Header,
  Module,
  ServiceUnavailableException,
  SetMetadata,
  type DynamicModule,
  type INestApplicationContext,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Logger as NestPinoLogger, LoggerModule } from 'nestjs-pino';
import type { Options as PinoHttpOptions } from 'pino-http';
import { isProbePath } from './env';
import { internalLogger } from './internal-log';
import { createLogger } from './logger';
import { installMetrics, PROMETHEUS_CONTENT_TYPE, renderMetrics } from './metrics-pipeline';
import { ReadinessRegistry, type ReadinessReport } from './readiness';
import { isTelemetryStarted, shutdownTelemetry } from './sdk';
import { telemetryState } from './state';

/**
 * Metadata (on TelemetryController) that a global auth guard should honour: `/metrics`, `/healthz`
 * and `/readyz` take no credentials.
 */
export const PUBLIC_ROUTE_METADATA = 'prasar:public-route';

export interface TelemetryModuleOptions {
  /** Must equal `OTEL_SERVICE_NAME` when register.ts runs (that name is on traces and metrics). */
  serviceName: string;
}

export const TELEMETRY_MODULE_OPTIONS = Symbol('TELEMETRY_MODULE_OPTIONS');

function requestPath(req: IncomingMessage): string | undefined {
  return (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url;
}

/** pino-http options: our logger, trace ids via its mixin, no lines for probes and scrapes. */
export function httpLoggerOptions(): PinoHttpOptions {
  return {
    logger: createLogger(),
    autoLogging: { ignore: (req) => isProbePath(requestPath(req)) },
    // Lines logged while serving a request carry `reqId`, not the whole request again.
    quietReqLogger: true,
    genReqId: (req, res) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
  };
}

/** `GET /metrics` (Prometheus text), `GET /healthz` (liveness), `GET /readyz` (readiness). */
@SetMetadata(PUBLIC_ROUTE_METADATA, true)
@Controller()
export class TelemetryController {
  constructor(private readonly readiness: ReadinessRegistry) {}

  @Get('metrics')
  @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  metrics(): Promise<string> {
    return renderMetrics();
  }

  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(): Promise<{ status: 'ok'; checks: ReadinessReport['checks'] }> {
    const report = await this.readiness.evaluate();
    if (!report.ready) {
      throw new ServiceUnavailableException({
        status: 'unavailable',
        failing: report.failing,
        checks: report.checks,
      });
    }
    return { status: 'ok', checks: report.checks };
  }
}

/**
 * Observability for a Nest service: pino request logging (nestjs-pino), `/metrics`, `/healthz`,
 * `/readyz`, and a global `ReadinessRegistry`. Import once, in the root module.
 */
@Module({})
export class TelemetryModule implements OnApplicationShutdown {
  static forRoot(options: TelemetryModuleOptions): DynamicModule {
    const state = telemetryState();
    if (state.serviceName === undefined) {
      state.serviceName = options.serviceName;
    } else if (state.serviceName !== options.serviceName) {
      internalLogger().warn(
        { configured: state.serviceName, requested: options.serviceName },
        'service name differs from the one telemetry started with; set OTEL_SERVICE_NAME',
      );
    }
    installMetrics();
    return {
      module: TelemetryModule,
      global: true,
      imports: [LoggerModule.forRoot({ pinoHttp: httpLoggerOptions() })],
      controllers: [TelemetryController],
      providers: [ReadinessRegistry, { provide: TELEMETRY_MODULE_OPTIONS, useValue: options }],
      exports: [ReadinessRegistry, TELEMETRY_MODULE_OPTIONS, LoggerModule],
    };
  }

  /** Flushes and stops the SDK when the app closes (only if register.ts started it). */
  async onApplicationShutdown(): Promise<void> {
    if (isTelemetryStarted()) await shutdownTelemetry();
  }
}

/**
 * Routes Nest's own logging through our pino logger. Create the app with `{ bufferLogs: true }` and
 * call this right after `NestFactory.create`.
 */
export function useTelemetryLogger(app: INestApplicationContext): void {
  app.useLogger(app.get(NestPinoLogger));
}
