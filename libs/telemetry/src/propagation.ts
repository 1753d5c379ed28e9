import { context, propagation, type Context, type TextMapGetter } from '@opentelemetry/api';

/** A header value as HTTP (string, string[]) or kafkajs (Buffer, string, arrays of either) gives it. */
export type HeaderValue = string | Buffer | ReadonlyArray<string | Buffer> | undefined;

/** Headers to read trace context from: HTTP headers, Kafka message headers, an outbox row's headers. */
export type TraceCarrier = Readonly<Record<string, HeaderValue>>;

/** The W3C trace-context headers. */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}

function firstString(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined;
  const first = typeof value === 'string' || Buffer.isBuffer(value) ? value : value[0];
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

const carrierGetter: TextMapGetter<TraceCarrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    if (key in carrier) return firstString(carrier[key]);
    const lower = key.toLowerCase();
    const match = Object.keys(carrier).find((k) => k.toLowerCase() === lower);
    return match === undefined ? undefined : firstString(carrier[match]);
  },
};

/**
 * The trace-context headers of the active context (empty when there is no active span or no SDK).
 * Store these with an outbox row or put them on a Kafka message.
 */
export function traceHeaders(ctx: Context = context.active()): TraceHeaders {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  const headers: TraceHeaders = {};
  if (carrier.traceparent) headers.traceparent = carrier.traceparent;
  if (carrier.tracestate) headers.tracestate = carrier.tracestate;
  return headers;
}

/** The active span's W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), or undefined. */
export function currentTraceparent(): string | undefined {
  return traceHeaders().traceparent;
}

/** Writes the active context's trace headers into `carrier` (which is returned). */
export function injectTraceHeaders<T extends Record<string, unknown>>(carrier: T): T & TraceHeaders {
  propagation.inject(context.active(), carrier);
  return carrier as T & TraceHeaders;
}

/** The active context with the remote span described by `headers` (unchanged when they carry none). */
export function extractTraceContext(headers: TraceCarrier): Context {
  return propagation.extract(context.active(), headers, carrierGetter);
}

/**
 * Runs `fn` inside the trace context carried by `headers` (`traceparent`/`tracestate`; Buffers and
 * arrays as kafkajs delivers them are fine), so spans it starts and lines it logs join that trace.
 */
export function withExtractedContext<T>(headers: TraceCarrier, fn: () => T): T {
  return context.with(extractTraceContext(headers), fn);
}
