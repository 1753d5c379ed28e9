import { createIdempotentProducer } from './client';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { HEADER, readHeaders } from './headers';

export interface ParkedMessage {
  partition: number;
  offset: string;
  key?: string;
  headers: Record<string, string>;
  error: string;
  originalTopic: string;
  value: Buffer | null;
}

/** Reads every message currently on a dead-letter topic (without committing anything). */
export async function inspectDeadLetters(
  kafka: Kafka,
  dlqTopic: string,
  timeoutMs = 10_000,
): Promise<ParkedMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(dlqTopic);
  await admin.disconnect();
  const remaining = new Map(
    ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]),
  );
  const parked: ParkedMessage[] = [];
  if (remaining.size === 0) return parked;
  const consumer = kafka.consumer({ groupId: `prasar-dlq-inspect-${process.pid}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out reading ${dlqTopic}`)), timeoutMs);
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        parked.push(toParked(partition, message));
        if (BigInt(message.offset) + 1n >= (remaining.get(partition) ?? 0n)) remaining.delete(partition);
        if (remaining.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  }).finally(() => consumer.disconnect());
  return parked;
}

/** Sends parked messages back to their original topics, without the dead-letter headers. */
export async function replayDeadLetters(kafka: Kafka, messages: ParkedMessage[]): Promise<number> {
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  try {
    for (const m of messages) {
      const headers = Object.fromEntries(
        Object.entries(m.headers).filter(([k]) => !k.startsWith('prasar_dlq_')),
      );
      await producer.send({
        topic: m.originalTopic,
        acks: -1,
        messages: [{ key: m.key, value: m.value, headers }],
      });
    }
  } finally {
    await producer.disconnect();
  }
  return messages.length;
}

function toParked(partition: number, message: KafkaMessage): ParkedMessage {
  const headers = readHeaders(message.headers);
  return {
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8'),
    headers,
    error: headers[HEADER.dlqError] ?? '',
    originalTopic: headers[HEADER.dlqTopic] ?? '',
    value: message.value,
  };
}
