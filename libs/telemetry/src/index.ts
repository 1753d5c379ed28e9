export { PROBE_PATHS, isProbePath, resolveEnvironment, resolveServiceName } from './env';
export {
  REDACT_CENSOR,
  REDACT_PATHS,
  createLogger,
  loggerOptions,
  resolveLogLevel,
  rootLogger,
  traceMixin,
  type CreateLoggerOptions,
  type Logger,
  type LoggerSettings,
} from './logger';
export {
  DURATION_BUCKETS_SECONDS,
  METER_NAME,
  TURNAROUND_BUCKETS_SECONDS,
  createCounter,
  createDurationHistogram,
  createGauge,
  createHistogram,
  createUpDownCounter,
  getMeter,
  startTimer,
} from './metrics';
export {
  PROMETHEUS_CONTENT_TYPE,
  getMetricsHandler,
  installMetrics,
  renderMetrics,
  type MetricsPipeline,
} from './metrics-pipeline';
export {
  ExplicitFirstTraceContextPropagator,
  currentTraceContext,
  currentTraceparent,
  extractTraceContext,
  injectTraceHeaders,
  traceHeaders,
  withExtractedContext,
  type HeaderValue,
  type TraceCarrier,
  type TraceHeaders,
} from './propagation';
export {
  DEFAULT_CHECK_TIMEOUT_MS,
  ReadinessRegistry,
  type CheckOutcome,
  type ReadinessCheck,
  type ReadinessReport,
} from './readiness';
export {
  createInstrumentations,
  flushTelemetry,
  getTestSpanExporter,
  isTelemetryStarted,
  shutdownTelemetry,
  startTelemetry,
  telemetryOptionsFromEnv,
  type TelemetryOptions,
} from './sdk';
export {
  PUBLIC_ROUTE_METADATA,
  TELEMETRY_MODULE_OPTIONS,
  TelemetryController,
  TelemetryModule,
  httpLoggerOptions,
  useTelemetryLogger,
  type TelemetryModuleOptions,
} from './telemetry.module';
export { getTracer, withSpan } from './tracing';
export { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
