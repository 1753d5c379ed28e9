import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import { metrics as sdkMetrics } from '@opentelemetry/sdk-node';
import { resolveEnvironment, resolveServiceName } from './env';
import { internalLogger } from './internal-log';
import { buildResource } from './resource';
import { telemetryState } from './state';

/** Content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The reader/serializer pair behind `/metrics`, created once per process. */
export interface MetricsPipeline {
  readonly exporter: PrometheusExporter;
  readonly provider: sdkMetrics.MeterProvider;
  /** False when another MeterProvider was already global: then `/metrics` only shows ours (empty). */
  readonly global: boolean;
}

// One configuration for the reader and for the serializer that renders what it collects.
const PREFIX = '';
const APPEND_TIMESTAMP = false;

/**
 * Installs the process's metrics pipeline once: a `PrometheusExporter` (its own HTTP server is never
 * started; each service serves `/metrics` on its own port) read by a `MeterProvider` that becomes
 * the global one. `register.ts` calls this with the SDK's resource before instrumentations load;
 * without `register.ts`, `getMeter()` and `TelemetryModule.forRoot` call it, so the service path and
 * the test path are the same code.
 */
export function installMetrics(resource?: Resource): MetricsPipeline {
  const state = telemetryState();
  if (state.metrics) return state.metrics;
  const exporter = new PrometheusExporter({
    preventServerStart: true,
    prefix: PREFIX,
    appendTimestamp: APPEND_TIMESTAMP,
  });
  const provider = new sdkMetrics.MeterProvider({
    resource: resource ?? buildResource(resolveServiceName(), resolveEnvironment()),
    readers: [exporter],
  });
  const global = metrics.setGlobalMeterProvider(provider);
  if (!global) {
    internalLogger().warn(
      'a global MeterProvider was already registered; /metrics shows only our own (empty)',
    );
  }
  state.metrics = { exporter, provider, global };
  return state.metrics;
}

const serializer = new PrometheusSerializer(PREFIX, APPEND_TIMESTAMP);

/** Collects the current metrics and renders them in the Prometheus text format. */
export async function renderMetrics(): Promise<string> {
  const { exporter } = installMetrics();
  const { resourceMetrics, errors } = await exporter.collect();
  for (const err of errors) internalLogger().warn({ err }, 'metric collection error');
  return `${serializer.serialize(resourceMetrics)}\n`;
}

/**
 * A plain `node:http` handler serving the Prometheus text (for servers that are not Nest apps, e.g.
 * the gateway). Mount it on `GET /metrics`; any other method gets 405.
 */
export function getMetricsHandler(): (req: IncomingMessage, res: ServerResponse) => void {
  installMetrics();
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    renderMetrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        internalLogger().error({ err }, '/metrics failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('# metrics unavailable\n');
      },
    );
  };
}
