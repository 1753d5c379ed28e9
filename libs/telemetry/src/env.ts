import { telemetryState } from './state';

/** Requests that are never traced nor request-logged: scrapes and probes. */
export const PROBE_PATHS: readonly string[] = ['/metrics', '/healthz', '/readyz'];

/** True when a request URL (path plus optional query) is one of the probe endpoints. */
export function isProbePath(url: string | undefined): boolean {
  if (!url) return false;
  const path = url.split('?', 1)[0]!.replace(/\/+$/, '') || '/';
  return PROBE_PATHS.includes(path);
}

/**
 * The service name: the one given in code (`TelemetryModule.forRoot`, `startTelemetry`), else
 * `OTEL_SERVICE_NAME`, else `SERVICE_NAME`, else `prasar`.
 */
export function resolveServiceName(env: NodeJS.ProcessEnv = process.env): string {
  return (
    telemetryState().serviceName ?? nonEmpty(env.OTEL_SERVICE_NAME) ?? nonEmpty(env.SERVICE_NAME) ?? 'prasar'
  );
}

/** `PRASAR_ENV` (local, dev, staging, prod, ...), default `local`. */
export function resolveEnvironment(env: NodeJS.ProcessEnv = process.env): string {
  return nonEmpty(env.PRASAR_ENV) ?? 'local';
}

export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
