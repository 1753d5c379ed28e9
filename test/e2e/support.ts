// Helpers the cross-service suites share: playing the publisher's part where a suite needs an
// account before the publisher is in the picture.
import { randomUUID } from 'node:crypto';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import pino from 'pino';
import {
  AccountConnectedSchema,
  departmentIdOf,
  encodeEvent,
  eventKeyOf,
  eventTypeOf,
  Platform,
  topicOfEventType,
} from '@prasar/contracts';
import { createIdempotentProducer, createKafka, HEADER, PROTOBUF_CONTENT_TYPE } from '@prasar/kafka';
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
  const id = randomUUID();
  try {
    const type = eventTypeOf(schema);
    const departmentId = departmentIdOf(schema, message);
    await producer.send({
      topic: topicOfEventType(type),
      acks: -1,
      messages: [
        {
          key: eventKeyOf(schema, message),
          value: Buffer.from(encodeEvent(schema, message)),
          headers: {
            [HEADER.id]: id,
            [HEADER.type]: type,
            [HEADER.source]: '/prasar/e2e',
            [HEADER.time]: new Date().toISOString(),
            [HEADER.specVersion]: '1.0',
            [HEADER.contentType]: PROTOBUF_CONTENT_TYPE,
            ...(departmentId ? { [HEADER.departmentId]: departmentId } : {}),
          },
        },
      ],
    });
  } finally {
    await producer.disconnect();
  }
  return id;
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
