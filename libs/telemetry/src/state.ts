import type { InMemorySpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { MetricsPipeline } from './metrics-pipeline';

/**
 * Process-wide telemetry state. It lives on `globalThis` (like the OpenTelemetry API's own registry)
 * so that `register.ts` and `@prasar/telemetry` agree even when the two are loaded through different
 * module paths, and so that loading `register.ts` twice never starts a second SDK.
 */
export interface TelemetryState {
  /** Set by `startTelemetry` or `TelemetryModule.forRoot`; wins over the environment. */
  serviceName?: string;
  /** The running NodeSDK (present only when `register.ts` / `startTelemetry` ran). */
  sdk?: { shutdown(): Promise<void> };
  spanProcessors: SpanProcessor[];
  metrics?: MetricsPipeline;
  testExporter?: InMemorySpanExporter;
  shutdown?: Promise<void>;
}

const STATE_KEY = Symbol.for('prasar.telemetry.state');

export function telemetryState(): TelemetryState {
  const holder = globalThis as typeof globalThis & { [STATE_KEY]?: TelemetryState };
  holder[STATE_KEY] ??= { spanProcessors: [] };
  return holder[STATE_KEY];
}
