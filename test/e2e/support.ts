// Helpers the cross-service suites share: playing the publisher's part where a suite needs an
// account before the publisher is in the picture.
import { randomUUID } from 'node:crypto';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import pino from 'pino';
import { AccountConnectedSchema, Platform } from '@prasar/contracts';
import { createIdempotentProducer, createKafka, toEventRecord } from '@prasar/kafka';
import { readInfraEnv } from '@prasar/testing';

/** Produces one event to its real topic with our CloudEvents headers, as a service's relay would. */
export async function emitEvent<D extends DescMessage>(
  schema: D,
  message: MessageInitShape<D>,
): Promise<string> {
  const kafka = createKafka(
    `e2e-${randomUUID().slice(0, 8)}`,
    readInfraEnv().KAFKA_BROKERS.split(','),
    pino({ level: 'silent' }),
  );
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  try {
    const record = toEventRecord('/prasar/e2e', { schema, message });
    await producer.send({
      topic: record.topic,
      acks: -1,
      messages: [{ key: record.key, value: record.value, headers: record.headers }],
    });
    return record.id;
  } finally {
    await producer.disconnect();
  }
}

/** Announces a connected X account for a department, as the publisher does on connectAccount. */
export function announceAccount(
  accountId: string,
  departmentId: string,
  handle = '@mp_dept',
): Promise<string> {
  return emitEvent(AccountConnectedSchema, {
    accountId,
    departmentId,
    platform: Platform.X,
    handle,
    externalAccountId: accountId,
  });
}

/** Each partition's end offset of a topic now: where `messagesSince` starts reading. */
export async function topicEnds(topic: string): Promise<Map<number, bigint>> {
  const kafka = createKafka(
    `e2e-${randomUUID().slice(0, 8)}`,
    readInfraEnv().KAFKA_BROKERS.split(','),
    pino({ level: 'silent' }),
  );
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Every message written to a topic after `since` (from `topicEnds`) up to its end now: key and CloudEvents type. */
export async function messagesSince(
  topic: string,
  since: Map<number, bigint>,
  timeoutMs = 20_000,
): Promise<{ key: string; type: string }[]> {
  const ends = await topicEnds(topic);
  const remaining = new Map([...ends].filter(([p, end]) => end > (since.get(p) ?? 0n)));
  const found: { key: string; type: string }[] = [];
  if (remaining.size === 0) return found;
  const kafka = createKafka(
    `e2e-${randomUUID().slice(0, 8)}`,
    readInfraEnv().KAFKA_BROKERS.split(','),
    pino({ level: 'silent' }),
  );
  const consumer = kafka.consumer({ groupId: `e2e-read-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const seen = new Set<string>();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  try {
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const end = remaining.get(partition);
        const offset = BigInt(message.offset);
        // A fetch from before the seek below may deliver a message twice: count each offset once.
        if (end === undefined || offset < (since.get(partition) ?? 0n) || offset >= end) return;
        if (seen.has(`${partition}:${offset}`)) return;
        seen.add(`${partition}:${offset}`);
        found.push({ key: message.key?.toString() ?? '', type: message.headers?.ce_type?.toString() ?? '' });
        if (offset + 1n >= end) remaining.delete(partition);
        if (remaining.size === 0) done();
      },
    });
    for (const partition of remaining.keys())
      consumer.seek({ topic, partition, offset: String(since.get(partition) ?? 0n) });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out reading ${topic}`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect();
  }
  return found;
}
