// Fixture for register.spec.ts: what the kafkajs instrumentation does to message headers under
// register.ts. No broker is needed: the instrumentation injects before kafkajs tries to connect.
import { Kafka, logLevel } from 'kafkajs';
import { createLogger, getTestSpanExporter, withSpan } from '../index';

const log = createLogger('fixture');
const ORIGINAL = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

async function main(): Promise<void> {
  const kafka = new Kafka({
    brokers: ['127.0.0.1:1'],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 100,
  });
  const producer = kafka.producer();
  const fromOutbox: Record<string, string> = { ce_id: 'a', traceparent: ORIGINAL };
  const fresh: Record<string, string> = { ce_id: 'b' };
  const activeTraceId = await withSpan('relay', async (span) => {
    await producer
      .sendBatch({
        topicMessages: [
          {
            topic: 'prasar.test',
            messages: [
              { key: 'a', value: 'a', headers: fromOutbox },
              { key: 'b', value: 'b', headers: fresh },
            ],
          },
        ],
      })
      .catch(() => undefined);
    return span.spanContext().traceId;
  });
  const sends = (getTestSpanExporter()?.getFinishedSpans() ?? [])
    .filter((s) => s.name.startsWith('send '))
    .map((s) => ({ traceId: s.spanContext().traceId, links: s.links.map((l) => l.context.traceId) }));
  log.info(
    { kept: fromOutbox.traceparent, injected: fresh.traceparent ?? null, activeTraceId, sends },
    'kafka headers',
  );
}

void main();
