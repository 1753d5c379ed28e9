import { context, trace } from '@opentelemetry/api';
import {
  currentTraceContext,
  currentTraceparent,
  injectTraceHeaders,
  shutdownTelemetry,
  startTelemetry,
  withExtractedContext,
  withSpan,
} from './index';

describe('trace context propagation', () => {
  beforeAll(() => {
    startTelemetry({ serviceName: 'propagation-spec', instrumentations: false });
  });
  afterAll(() => shutdownTelemetry());

  it('has no traceparent outside a span', () => {
    expect(currentTraceparent()).toBeUndefined();
    expect(currentTraceContext()).toEqual({});
  });

  it('round-trips the trace id through headers', async () => {
    const sent = await withSpan('produce', (span) => {
      const { traceId, spanId } = span.spanContext();
      expect(currentTraceparent()).toBe(`00-${traceId}-${spanId}-01`);
      return { traceId, spanId, headers: currentTraceContext() };
    });
    expect(trace.getActiveSpan()).toBeUndefined();

    const received = await withExtractedContext(sent.headers, () =>
      withSpan('consume', (span) => ({
        traceId: span.spanContext().traceId,
        parent: trace.getSpanContext(context.active())?.spanId,
        traceparent: currentTraceparent(),
      })),
    );
    expect(received.traceId).toBe(sent.traceId);
    expect(received.parent).not.toBe(sent.spanId); // a new child span, same trace
    expect(received.traceparent).toMatch(new RegExp(`^00-${sent.traceId}-[0-9a-f]{16}-01$`));
  });

  it('reads Kafka-style Buffer and array headers, any case', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = `00-${traceId}-00f067aa0ba902b7-01`;
    const kafka = { TraceParent: [Buffer.from(parent)], other: Buffer.from('x'), none: undefined };
    const seen = withExtractedContext(kafka, () => trace.getSpanContext(context.active()));
    expect(seen).toMatchObject({ traceId, spanId: '00f067aa0ba902b7', isRemote: true });
  });

  it('keeps the active context when the headers carry none', async () => {
    await withSpan('outer', (span) => {
      const inner = withExtractedContext({ foo: 'bar' }, () => trace.getActiveSpan()?.spanContext().spanId);
      expect(inner).toBe(span.spanContext().spanId);
    });
  });

  it('injects into an existing header object', async () => {
    await withSpan('inject', () => {
      const headers = injectTraceHeaders({ ce_id: '1' });
      expect(headers.ce_id).toBe('1');
      expect(headers.traceparent).toBe(currentTraceparent());
    });
  });

  it('does not overwrite a traceparent the carrier already holds', async () => {
    const explicit = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await withSpan('relay', () => {
      expect(injectTraceHeaders({ traceparent: explicit }).traceparent).toBe(explicit);
      expect(injectTraceHeaders({}).traceparent).toBe(currentTraceparent());
    });
  });

  it('stays in the active span when the headers belong to the same trace', async () => {
    await withSpan('instrumentation consumer span', async (outer) => {
      const sameTrace = `00-${outer.spanContext().traceId}-00f067aa0ba902b7-01`;
      const parent = await withExtractedContext({ traceparent: sameTrace }, () =>
        withSpan('handler', () => trace.getActiveSpan()!.spanContext().traceId),
      );
      expect(parent).toBe(outer.spanContext().traceId);
      const active = withExtractedContext({ traceparent: sameTrace }, () => trace.getActiveSpan());
      expect(active?.spanContext().spanId).toBe(outer.spanContext().spanId);

      const otherTrace = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const joined = withExtractedContext({ traceparent: otherTrace }, () => trace.getActiveSpan());
      expect(joined?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    });
  });
});
