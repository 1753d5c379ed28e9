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
