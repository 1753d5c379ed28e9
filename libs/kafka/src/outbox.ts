import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import { departmentIdOf, encodeEvent, eventKeyOf, eventTypeOf, topicOfEventType } from '@prasar/contracts';
import { currentTraceContext } from '@prasar/telemetry';
import { HEADER, PROTOBUF_CONTENT_TYPE } from './headers';

export interface OutgoingEvent<Desc extends DescMessage> {
  schema: Desc;
  message: MessageInitShape<Desc>;
  /** Partition key; by default the event's first field (the content id), keeping an item's events in order. */
  key?: string;
  /** Tenant header; by default the event's department_id field. */
  departmentId?: string;
}

/** An event ready for Kafka: its topic, key, value and CloudEvents headers (with trace context). */
export interface EventRecord {
  id: string;
  type: string;
  topic: string;
  key: string;
  departmentId?: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** Encodes an event with its headers: the one way an event is shaped for Kafka. */
export function toEventRecord<Desc extends DescMessage>(
  source: string,
  event: OutgoingEvent<Desc>,
): EventRecord {
  const id = randomUUID();
  const type = eventTypeOf(event.schema);
  const departmentId = event.departmentId ?? departmentIdOf(event.schema, event.message);
  const headers: Record<string, string> = {
    [HEADER.id]: id,
    [HEADER.type]: type,
    [HEADER.source]: source,
    [HEADER.time]: new Date().toISOString(),
    [HEADER.specVersion]: '1.0',
    [HEADER.contentType]: PROTOBUF_CONTENT_TYPE,
    ...currentTraceContext(),
  };
  if (departmentId) headers[HEADER.departmentId] = departmentId;
  return {
    id,
    type,
    topic: topicOfEventType(type),
    key: event.key ?? eventKeyOf(event.schema, event.message),
    departmentId,
    value: Buffer.from(encodeEvent(event.schema, event.message)),
    headers,
  };
}

/**
 * Writes an event into the service's outbox inside the caller's transaction: the event exists
 * exactly when the state change it describes was committed. Returns the event id (ce_id).
 */
export async function enqueueEvent<Desc extends DescMessage>(
  em: EntityManager,
  source: string,
  event: OutgoingEvent<Desc>,
): Promise<string> {
  const r = toEventRecord(source, event);
  await em.query(
    `INSERT INTO prasar_outbox (id, topic, key, type, department_id, payload, headers)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [r.id, r.topic, r.key, r.type, r.departmentId ?? null, r.value, r.headers],
  );
  return r.id;
}
