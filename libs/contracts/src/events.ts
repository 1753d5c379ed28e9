import {
  create,
  createRegistry,
  fromBinary,
  ScalarType,
  toBinary,
  type DescField,
  type DescFile,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
  type Registry,
} from '@bufbuild/protobuf';
import { file_prasar_approval_v1_events } from './gen/prasar/approval/v1/events_pb';
import { file_prasar_content_v1_events } from './gen/prasar/content/v1/events_pb';
import { file_prasar_engagement_v1_events } from './gen/prasar/engagement/v1/events_pb';
import { file_prasar_publish_v1_events } from './gen/prasar/publish/v1/events_pb';
import { file_prasar_schedule_v1_events } from './gen/prasar/schedule/v1/events_pb';
import { isTopic, type Topic } from './topics';

// The rule that makes a message an event: it is a top-level message of an area's events.proto.
// Value types (ContentSnapshot, ApprovalStage, ...) live in other files and are not events.
const EVENT_FILES: readonly DescFile[] = [
  file_prasar_content_v1_events,
  file_prasar_approval_v1_events,
  file_prasar_schedule_v1_events,
  file_prasar_publish_v1_events,
  file_prasar_engagement_v1_events,
];

/** Every event message, in declaration order. */
export const EVENT_SCHEMAS: readonly DescMessage[] = Object.freeze(
  EVENT_FILES.flatMap((file) => file.messages),
);

/** Registry of the event messages only, by full name (`prasar.content.v1.ContentSubmitted`). */
export const eventRegistry: Registry = createRegistry(...EVENT_SCHEMAS);

/** Thrown for a `ce_type` (or a schema) that is not a Prasar event. */
export class UnknownEventTypeError extends Error {
  override readonly name = 'UnknownEventTypeError';
  constructor(readonly eventType: string) {
    super(`"${eventType}" is not a known Prasar event type`);
  }
}

/** Thrown when a known event type's bytes do not parse: the message is poison, not retryable. */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
  constructor(
    readonly eventType: string,
    options: { cause: unknown },
  ) {
    super(`payload of ${eventType} is not valid protobuf: ${String(options.cause)}`, options);
  }
}

/** An event read off Kafka: its type, its schema and the decoded message. */
export interface DecodedEvent<Desc extends DescMessage = DescMessage> {
  readonly type: string;
  readonly schema: Desc;
  readonly message: MessageShape<Desc>;
}

/** The CloudEvents type (`ce_type`) of an event schema: its full proto name. */
export function eventTypeOf(schema: DescMessage): string {
  // By name, not identity: a second copy of the generated module must still be recognised.
  if (eventRegistry.getMessage(schema.typeName) === undefined) {
    throw new UnknownEventTypeError(schema.typeName);
  }
  return schema.typeName;
}

/** The topic an event type goes to, by its proto package: `prasar.content.v1.X` → `prasar.content.v1`. */
export function topicOfEventType(type: string): Topic {
  const dot = type.lastIndexOf('.');
  const pkg = dot > 0 ? type.slice(0, dot) : '';
  if (!isTopic(pkg)) throw new UnknownEventTypeError(type);
  return pkg;
}

/** Serializes an event (a message or an init object of its schema) to protobuf binary. */
export function encodeEvent<Desc extends DescMessage>(
  schema: Desc,
  message: MessageInitShape<Desc>,
): Uint8Array {
  eventTypeOf(schema);
  return toBinary(schema, create(schema, message));
}

/** Parses an event by its `ce_type`; throws UnknownEventTypeError or MalformedEventError. */
export function decodeEvent(type: string, bytes: Uint8Array): DecodedEvent {
  const schema = eventRegistry.getMessage(type);
  if (schema === undefined) throw new UnknownEventTypeError(type);
  try {
    return { type, schema, message: fromBinary(schema, bytes) };
  } catch (cause) {
    throw new MalformedEventError(type, { cause });
  }
}

/** Narrows a decoded event to one schema: `if (isEvent(e, ContentSubmittedSchema)) e.message.snapshot`. */
export function isEvent<Desc extends DescMessage>(
  event: DecodedEvent,
  schema: Desc,
): event is DecodedEvent<Desc> {
  return event.schema.typeName === schema.typeName;
}

function stringField(schema: DescMessage, field: DescField | undefined, message: unknown): string {
  if (field === undefined || field.fieldKind !== 'scalar' || field.scalar !== ScalarType.STRING) {
    throw new Error(
      `${schema.typeName} breaks the event convention: ${field?.name ?? 'field 1'} is not a string`,
    );
  }
  const value = (message as Record<string, unknown>)[field.localName];
  return typeof value === 'string' ? value : '';
}

/**
 * The Kafka key of an event: its field 1 (the content id, or for blackout and account events the
 * blackout or account id). Throws when it is empty, which is always a producer bug.
 */
export function eventKeyOf<Desc extends DescMessage>(schema: Desc, message: MessageInitShape<Desc>): string {
  eventTypeOf(schema);
  const field = schema.fields.find((f) => f.number === 1);
  const key = stringField(schema, field, message);
  if (key === '') throw new Error(`${schema.typeName}: ${field?.name} (the Kafka key) is empty`);
  return key;
}

/** The department an event belongs to (its `department_id`), or undefined for state-wide events. */
export function departmentIdOf<Desc extends DescMessage>(
  schema: Desc,
  message: MessageInitShape<Desc>,
): string | undefined {
  eventTypeOf(schema);
  const field = schema.fields.find((f) => f.name === 'department_id');
  if (field === undefined) return undefined;
  return stringField(schema, field, message) || undefined;
}
