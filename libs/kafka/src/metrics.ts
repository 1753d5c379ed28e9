import type { Admin } from 'kafkajs';
import { createCounter, createDurationHistogram, createGauge } from '@prasar/telemetry';
import type { Outcome } from './consumer';

type HandlerLabels = { consumer_group: string; event_type: string };

// Instruments are created once per process; labels are bounded (groups, event types from the
// registry, topics, partitions, outcomes).
let instruments: ReturnType<typeof createInstruments> | undefined;

function createInstruments() {
  return {
    processed: createCounter<HandlerLabels & { outcome: Outcome }>(
      'prasar_kafka_messages_processed',
      'Messages a consumer group finished, by event type and outcome (handled, duplicate, ignored, dead-lettered)',
    ),
    duration: createDurationHistogram<HandlerLabels>(
      'prasar_kafka_handler_duration',
      'Time to handle one message, retries and backoff included',
    ),
    deadLettered: createCounter<{ consumer_group: string; topic: string }>(
      'prasar_kafka_dead_lettered',
      'Messages parked on a dead-letter topic, by consumer group and original topic',
    ),
    outboxPublished: createCounter(
      'prasar_outbox_published_events',
      'Outbox events the relay published to Kafka',
    ),
  };
}

/** The Kafka and outbox instruments of this process. */
export function kafkaMetrics() {
  instruments ??= createInstruments();
  return instruments;
}

const lagSources = new Map<string, () => Promise<{ topic: string; partition: number; lag: number }[]>>();
const backlogSources = new Set<() => Promise<{ pending: number; oldestAgeSeconds: number }>>();
let gaugesRegistered = false;

function registerGauges() {
  if (gaugesRegistered) return;
  gaugesRegistered = true;
  createGauge<{ consumer_group: string; topic: string; partition: string }>(
    'prasar_kafka_consumer_lag',
    'Messages on a partition not yet committed by the consumer group (high watermark minus committed offset)',
    async (result) => {
      for (const [group, read] of lagSources) {
        try {
          for (const { topic, partition, lag } of await read()) {
            result.observe(lag, { consumer_group: group, topic, partition: String(partition) });
          }
        } catch {
          // The broker is unreachable: report nothing rather than a wrong number.
        }
      }
    },
    { unit: '{message}' },
  );
  createGauge(
    'prasar_outbox_pending_events',
    'Outbox events written but not yet published',
    async (result) => {
      for (const read of backlogSources) result.observe((await read()).pending);
    },
  );
  createGauge(
    'prasar_outbox_oldest_pending_age_seconds',
    'Age of the oldest outbox event not yet published',
    async (result) => {
      for (const read of backlogSources) result.observe((await read()).oldestAgeSeconds);
    },
  );
}

/** Reports a consumer group's lag at each scrape, read from the broker. */
export function observeConsumerLag(
  groupId: string,
  topics: string[],
  admin: () => Promise<Admin>,
): () => void {
  registerGauges();
  lagSources.set(groupId, async () => {
    const client = await admin();
    const lags: { topic: string; partition: number; lag: number }[] = [];
    const committed = await client.fetchOffsets({ groupId, topics });
    for (const { topic, partitions } of committed) {
      const ends = await client.fetchTopicOffsets(topic);
      for (const p of partitions) {
        const end = ends.find((e) => e.partition === p.partition);
        if (!end) continue;
        const done = Number(p.offset) < 0 ? Number(end.low) : Number(p.offset);
        lags.push({ topic, partition: p.partition, lag: Math.max(0, Number(end.high) - done) });
      }
    }
    return lags;
  });
  return () => lagSources.delete(groupId);
}

/** Reports an outbox's backlog at each scrape. */
export function observeOutboxBacklog(
  read: () => Promise<{ pending: number; oldestAgeSeconds: number }>,
): () => void {
  registerGauges();
  backlogSources.add(read);
  return () => backlogSources.delete(read);
}
