import {
  metrics,
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type ObservableGauge,
  type ObservableResult,
  type UpDownCounter,
} from '@opentelemetry/api';
import { installMetrics } from './metrics-pipeline';

/** The instrumentation scope of every Prasar metric (`otel_scope_name="prasar"` on each series). */
export const METER_NAME = 'prasar';

/** Histogram buckets (seconds) for operation durations: 5 ms to 30 s. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Histogram buckets (seconds) for human turnaround, such as approvals: 1 min to 7 days. */
export const TURNAROUND_BUCKETS_SECONDS: readonly number[] = [
  60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400, 172_800, 604_800,
];

const NAME = /^[a-z][a-z0-9_]*$/;

function checkName(name: string): string {
  if (!NAME.test(name)) {
    throw new TypeError(`metric name "${name}" must be snake_case: [a-z][a-z0-9_]*`);
  }
  return name;
}

/**
 * The shared meter (`metrics.getMeter('prasar')`). The metrics pipeline is installed first, because
 * instruments made from the API's no-op provider would stay no-ops forever.
 */
export function getMeter(): Meter {
  installMetrics();
  return metrics.getMeter(METER_NAME);
}

/**
 * A monotonic counter. The Prometheus exporter appends `_total`, so a trailing `_total` in `name` is
 * dropped here and the series is always `<name>_total` (never `_total_total`).
 */
export function createCounter<A extends Attributes = Attributes>(
  name: string,
  description: string,
  options: { unit?: string } = {},
): Counter<A> {
  const base = checkName(name).replace(/_total$/, '');
  return getMeter().createCounter<A>(checkName(base), { description, unit: options.unit });
}

/** A counter that goes up and down (exported as a Prometheus gauge), e.g. in-flight work. */
export function createUpDownCounter<A extends Attributes = Attributes>(
  name: string,
  description: string,
  options: { unit?: string } = {},
): UpDownCounter<A> {
  return getMeter().createUpDownCounter<A>(checkName(name), { description, unit: options.unit });
}

/** A histogram with explicit bucket boundaries (`name` should carry its unit, e.g. `_bytes`). */
export function createHistogram<A extends Attributes = Attributes>(
  name: string,
  description: string,
  options: { unit?: string; buckets?: readonly number[] } = {},
): Histogram<A> {
  return getMeter().createHistogram<A>(checkName(name), {
    description,
    unit: options.unit,
    advice: options.buckets ? { explicitBucketBoundaries: [...options.buckets] } : undefined,
  });
}

/**
 * A duration histogram in seconds, named `<name>_seconds` (the suffix is added when missing). Record
 * seconds, e.g. with `startTimer()`.
 */
export function createDurationHistogram<A extends Attributes = Attributes>(
  name: string,
  description: string,
  buckets: readonly number[] = DURATION_BUCKETS_SECONDS,
): Histogram<A> {
  const full = name.endsWith('_seconds') ? name : `${name}_seconds`;
  return createHistogram<A>(full, description, { unit: 's', buckets });
}

/**
 * A gauge read at scrape time, e.g. consumer lag or outbox backlog. `observe` reports one value per
 * attribute set through `result.observe(value, attributes)`.
 */
export function createGauge<A extends Attributes = Attributes>(
  name: string,
  description: string,
  observe: (result: ObservableResult<A>) => void | Promise<void>,
  options: { unit?: string } = {},
): ObservableGauge<A> {
  const gauge = getMeter().createObservableGauge<A>(checkName(name), { description, unit: options.unit });
  gauge.addCallback(observe);
  return gauge;
}

/** Starts a timer; the returned function gives the seconds elapsed since. */
export function startTimer(): () => number {
  const start = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - start) / 1e9;
}
