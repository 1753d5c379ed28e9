import { diag, DiagLogLevel, propagation, ROOT_CONTEXT, trace, type DiagLogger } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { core, NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { isProbePath, nonEmpty, resolveEnvironment, resolveServiceName } from './env';
import { internalLogger } from './internal-log';
import { carrierGetter, ExplicitFirstTraceContextPropagator, type TraceCarrier } from './propagation';
import { installMetrics } from './metrics-pipeline';
import { buildResource } from './resource';
import { telemetryState } from './state';

export interface TelemetryOptions {
  /** `service.name`; default `OTEL_SERVICE_NAME`, then `SERVICE_NAME`, then `prasar`. */
  serviceName?: string;
  /** `deployment.environment`; default `PRASAR_ENV`, then `local`. */
  environment?: string;
  /**
   * Export spans with OTLP/HTTP. `true` lets the exporter read `OTEL_EXPORTER_OTLP_*` itself; an
   * object gives the traces URL explicitly. `false`/absent: no exporter, but spans are still real.
   */
  otlp?: boolean | { url: string };
  /** `'memory'`: also keep finished spans in an `InMemorySpanExporter` (see `getTestSpanExporter`). */
  testExporter?: 'memory';
  /** Enable the http/express/graphql/pg/kafkajs/pino instrumentations (default true). */
  instrumentations?: boolean;
}

/** Options from the environment, as `register.ts` uses them. */
export function telemetryOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): TelemetryOptions {
  return {
    serviceName: resolveServiceName(env),
    environment: resolveEnvironment(env),
    otlp: Boolean(
      nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
    ),
    testExporter: env.PRASAR_TELEMETRY_TEST_EXPORTER === 'memory' ? 'memory' : undefined,
  };
}

/**
 * The instrumentations Prasar services run with, configured to keep spans few. Names listed in
 * `OTEL_NODE_DISABLED_INSTRUMENTATIONS` (http, express, graphql, pg, kafkajs, pino) are left out.
 */
export function createInstrumentations(
  env: NodeJS.ProcessEnv = process.env,
): NodeSDKConfiguration['instrumentations'] {
  const disabled = new Set(
    (env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? '')
      .split(',')
      .map((name) => name.trim().replace(/^@opentelemetry\/instrumentation-/, ''))
      .filter(Boolean),
  );
  return allInstrumentations()
    .filter(([name]) => !disabled.has(name))
    .map(([, make]) => make());
}

type InstrumentationFactory = () => NodeSDKConfiguration['instrumentations'][number];

function allInstrumentations(): [name: string, make: InstrumentationFactory][] {
  return [
    [
      'http',
      () =>
        new HttpInstrumentation({
          // Scrapes and probes are neither traced nor (see TelemetryModule) request-logged.
          ignoreIncomingRequestHook: (req) => isProbePath(req.url),
        }),
    ],
    [
      'express',
      // Only for the route: it names the HTTP server span ("GET /content/:id") and labels the HTTP
      // duration metric with http_route. Its own layer spans are noise under Nest (every middleware,
      // and Nest's middleware mounts on "/{*path}" look like request handlers), so none are made.
      () =>
        new ExpressInstrumentation({
          ignoreLayersType: [
            ExpressLayerType.MIDDLEWARE,
            ExpressLayerType.ROUTER,
            ExpressLayerType.REQUEST_HANDLER,
          ],
        }),
    ],
    [
      'graphql',
      () =>
        new GraphQLInstrumentation({ mergeItems: true, ignoreTrivialResolveSpans: true, allowValues: false }),
    ],
    // Queries outside any span (pollers, pool housekeeping) would each become a root trace.
    ['pg', () => new PgInstrumentation({ requireParentSpan: true })],
    [
      'kafkajs',
      // Messages that already carry trace context keep it (ExplicitFirstTraceContextPropagator); the
      // send span then links to that trace instead of being its parent.
      () =>
        new KafkaJsInstrumentation({
          producerHook: (span, { message }) => {
            const headers: TraceCarrier = message.headers ?? {};
            const remote = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, headers, carrierGetter));
            if (remote && remote.traceId !== span.spanContext().traceId) span.addLink({ context: remote });
          },
        }),
    ],
    // Trace ids in lines of any pino logger; logs themselves go to stdout, not to OTLP.
    ['pino', () => new PinoInstrumentation({ disableLogSending: true })],
  ];
}

/** OpenTelemetry's internal diagnostics, as JSON lines through our logger. */
function diagThroughLogger(): DiagLogger {
  const write =
    (level: 'error' | 'warn' | 'info' | 'debug' | 'trace') =>
    (message: string, ...args: unknown[]) =>
      internalLogger()[level](
        args.length > 0
          ? {
              otel: true,
              args: args.map((a) => (a instanceof Error ? { message: a.message, stack: a.stack } : a)),
            }
          : { otel: true },
        message,
      );
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    verbose: write('trace'),
  };
}

/**
 * Starts the OpenTelemetry Node SDK once per process: resource, W3C trace-context propagation,
 * instrumentations, span processors and the Prometheus metrics pipeline. Returns false (and does
 * nothing) when it already ran. `register.ts` calls it; it must run before Nest (or anything that
 * an instrumentation patches) is imported.
 */
export function startTelemetry(options: TelemetryOptions = telemetryOptionsFromEnv()): boolean {
  const state = telemetryState();
  if (state.sdk) return false;

  const serviceName = options.serviceName ?? resolveServiceName();
  state.serviceName = serviceName;
  const resource = buildResource(serviceName, options.environment ?? resolveEnvironment());

  // Our MeterProvider becomes global before the SDK registers instrumentations, which then record
  // their metrics (e.g. http.server durations) into it.
  installMetrics(resource);

  const processors: SpanProcessor[] = [];
  if (options.otlp) {
    const exporter = new OTLPTraceExporter(typeof options.otlp === 'object' ? { url: options.otlp.url } : {});
    processors.push(new BatchSpanProcessor(exporter));
  }
  if (options.testExporter === 'memory') {
    state.testExporter = new InMemorySpanExporter();
    processors.push(new SimpleSpanProcessor(state.testExporter));
  }
  // The SDK registers a tracer provider only when it has a processor; without one there would be no
  // real spans, hence no trace ids in logs and Kafka headers.
  if (processors.length === 0) processors.push(new NoopSpanProcessor());

  const sdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    textMapPropagator: new ExplicitFirstTraceContextPropagator(),
    spanProcessors: processors,
    // Metrics are ours (installMetrics); an empty list also keeps the SDK from adding an OTLP reader.
    metricReaders: [],
    // Likewise no OTLP log exporter: logs are JSON on stdout.
    logRecordProcessors: [],
    instrumentations: options.instrumentations === false ? [] : createInstrumentations(),
  });
  diag.setLogger(diagThroughLogger(), {
    logLevel: core.diagLogLevelFromString(process.env.OTEL_LOG_LEVEL) ?? DiagLogLevel.WARN,
    suppressOverrideMessage: true,
  });
  sdk.start();

  state.sdk = sdk;
  state.spanProcessors = processors;
  return true;
}

/** True once `startTelemetry` (i.e. `register.ts`) ran in this process. */
export function isTelemetryStarted(): boolean {
  return telemetryState().sdk !== undefined;
}

/** The in-memory span exporter (`PRASAR_TELEMETRY_TEST_EXPORTER=memory`), if any. */
export function getTestSpanExporter(): InMemorySpanExporter | undefined {
  return telemetryState().testExporter;
}

/** Exports the spans finished so far, without stopping anything. */
export async function flushTelemetry(): Promise<void> {
  await Promise.allSettled(telemetryState().spanProcessors.map((p) => p.forceFlush()));
}

/**
 * Flushes and stops the SDK and the metrics pipeline, at most `timeoutMs`. Idempotent: every call
 * gets the same promise.
 */
export function shutdownTelemetry(timeoutMs = 5_000): Promise<void> {
  const state = telemetryState();
  state.shutdown ??= (async () => {
    const work = Promise.allSettled([state.sdk?.shutdown(), state.metrics?.provider.shutdown()]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        internalLogger().warn({ timeoutMs }, 'telemetry shutdown timed out; some spans may be lost');
        resolve();
      }, timeoutMs);
      timer.unref();
    });
    await Promise.race([work.then(() => undefined), timeout]);
    clearTimeout(timer);
  })();
  return state.shutdown;
}
