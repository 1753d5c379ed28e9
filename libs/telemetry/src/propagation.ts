import {
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { core } from '@opentelemetry/sdk-node';

/** A header value as HTTP (string, string[]) or kafkajs (Buffer, string, arrays of either) gives it. */
export type HeaderValue = string | Buffer | ReadonlyArray<string | Buffer> | undefined;

/** Headers to read trace context from: HTTP headers, Kafka message headers, an outbox row's headers. */
export type TraceCarrier = Readonly<Record<string, HeaderValue>>;

/** The W3C trace-context headers. */
export type TraceHeaders = {
  traceparent?: string;
  tracestate?: string;
};

function firstString(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined;
  const first = typeof value === 'string' || Buffer.isBuffer(value) ? value : value[0];
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

/** Reads trace headers from HTTP- or kafkajs-shaped header objects (first value, any key case). */
export const carrierGetter: TextMapGetter<TraceCarrier> = {
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

/** The active context's `{ traceparent, tracestate }` (keys absent when unset): spread into headers. */
export function currentTraceContext(): TraceHeaders {
  return traceHeaders();
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

/**
 * The context to run a message's or request's handling in: the remote span described by `headers`,
 * or the active context when the headers carry none, or when the active span already belongs to
 * that trace (e.g. an instrumentation's consumer span made from the same headers, which then stays
 * the parent).
 */
export function extractTraceContext(headers: TraceCarrier): Context {
  const active = context.active();
  const extracted = propagation.extract(active, headers, carrierGetter);
  const current = trace.getSpanContext(active);
  const remote = trace.getSpanContext(extracted);
  if (current && remote && isSpanContextValid(current) && current.traceId === remote.traceId) return active;
  return extracted;
}

/**
 * Runs `fn` inside the trace context carried by `headers` (`traceparent`/`tracestate`; Buffers and
 * arrays as kafkajs delivers them are fine), so spans it starts and lines it logs join that trace.
 */
export function withExtractedContext<T>(headers: TraceCarrier, fn: () => T): T {
  return context.with(extractTraceContext(headers), fn);
}

function carriesTraceparent(carrier: unknown): boolean {
  if (typeof carrier !== 'object' || carrier === null) return false;
  const value = (carrier as Record<string, unknown>).traceparent;
  return value !== undefined && value !== null && value !== '';
}

/**
 * W3C trace context, except that `inject` leaves a carrier alone when it already holds a
 * `traceparent`: context put there on purpose wins. The kafkajs instrumentation injects its
 * producer span into every message's headers; without this, the relay would replace the context an
 * outbox row carries from the request that wrote it, and each item's journey would split into a
 * trace per hop. (The HTTP instrumentation injects into a fresh copy of the headers, so only an
 * explicitly set header is kept there.)
 */
export class ExplicitFirstTraceContextPropagator implements TextMapPropagator {
  private readonly w3c = new core.W3CTraceContextPropagator();

  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    if (carriesTraceparent(carrier)) return;
    this.w3c.inject(ctx, carrier, setter);
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.w3c.extract(ctx, carrier, getter);
  }

  fields(): string[] {
    return this.w3c.fields();
  }
}
