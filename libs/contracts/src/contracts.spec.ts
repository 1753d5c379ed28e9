import { create, equals } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import topicsConfig from '../topics.json';
import {
  BlackoutDeclaredSchema,
  ContentKind,
  ContentSnapshotSchema,
  ContentSubmittedSchema,
  DLQ_SUFFIX,
  EVENT_SCHEMAS,
  EngagementSnapshotSchema,
  Language,
  MalformedEventError,
  PersonRole,
  Priority,
  TOPICS,
  UnknownEventTypeError,
  UnknownTopicError,
  decodeEvent,
  departmentIdOf,
  dlqTopicOf,
  encodeEvent,
  eventKeyOf,
  eventRegistry,
  eventTypeOf,
  isEvent,
  topicOfDlq,
  topicOfEventType,
} from './index';

const submitted = create(ContentSubmittedSchema, {
  contentId: 'c-42',
  departmentId: 'dept-agriculture',
  snapshot: {
    contentId: 'c-42',
    departmentId: 'dept-agriculture',
    version: 3,
    kind: ContentKind.ACHIEVEMENT,
    priority: Priority.NORMAL,
    title: 'किसान सम्मान निधि',
    body: [
      { language: Language.HI, text: '28 लाख किसानों के खातों में ₹1,400 करोड़ अंतरित 🌾' },
      { language: Language.EN, text: '₹1,400 crore transferred to 28 lakh farmers' },
    ],
    hashtags: ['किसान', 'MPGovt'],
    link: 'https://mpinfo.org/news/42',
    media: [
      {
        id: 'm-1',
        url: 'https://media.example/cm.jpg',
        mimeType: 'image/jpeg',
        altText: 'मुख्यमंत्री किसानों को संबोधित करते हुए',
        people: [{ role: PersonRole.CHIEF_MINISTER, name: 'मुख्यमंत्री' }],
      },
    ],
    desiredPublishAt: timestampFromDate(new Date('2021-08-06T04:30:00Z')),
    targetAccountIds: ['acc-x', 'acc-fb'],
    overrides: [{ accountId: 'acc-x', text: 'किसानों को ₹1,400 करोड़ #किसान' }],
    createdBy: { subject: 'u-7', name: 'सोशल मीडिया प्रभारी', roles: ['DEPT_EDITOR'] },
    createdAt: timestampFromDate(new Date('2021-08-05T10:00:00Z')),
  },
  actor: { subject: 'u-7', name: 'सोशल मीडिया प्रभारी', roles: ['DEPT_EDITOR'] },
  submittedAt: timestampFromDate(new Date('2021-08-05T11:00:00Z')),
});

describe('encodeEvent / decodeEvent', () => {
  it('round-trips a ContentSubmitted with Hindi text', () => {
    const bytes = encodeEvent(ContentSubmittedSchema, submitted);
    const decoded = decodeEvent('prasar.content.v1.ContentSubmitted', bytes);

    expect(decoded.schema).toBe(ContentSubmittedSchema);
    expect(equals(ContentSubmittedSchema, decoded.message as typeof submitted, submitted)).toBe(true);
    if (!isEvent(decoded, ContentSubmittedSchema)) throw new Error('expected a ContentSubmitted');
    expect(decoded.message.snapshot?.body[0]?.text).toBe('28 लाख किसानों के खातों में ₹1,400 करोड़ अंतरित 🌾');
    expect(decoded.message.snapshot?.media[0]?.people[0]?.role).toBe(PersonRole.CHIEF_MINISTER);
    expect(decoded.message.snapshot?.link).toBe('https://mpinfo.org/news/42');
  });

  it('accepts an init object as well as a message', () => {
    const bytes = encodeEvent(ContentSubmittedSchema, { contentId: 'c-1', departmentId: 'd-1' });
    const decoded = decodeEvent(eventTypeOf(ContentSubmittedSchema), bytes);
    expect(isEvent(decoded, ContentSubmittedSchema) && decoded.message.contentId).toBe('c-1');
  });

  it('throws UnknownEventTypeError for a type it does not know', () => {
    const bytes = encodeEvent(ContentSubmittedSchema, submitted);
    expect(() => decodeEvent('prasar.content.v1.ContentTeleported', bytes)).toThrow(UnknownEventTypeError);
    try {
      decodeEvent('prasar.content.v1.ContentSnapshot', bytes);
      throw new Error('expected a throw');
    } catch (err) {
      expect(err).toBeInstanceOf(UnknownEventTypeError);
      expect((err as UnknownEventTypeError).eventType).toBe('prasar.content.v1.ContentSnapshot');
    }
  });

  it('refuses to encode a message that is not an event', () => {
    expect(() => encodeEvent(ContentSnapshotSchema, {})).toThrow(UnknownEventTypeError);
  });

  it('throws MalformedEventError for bytes that are not the message', () => {
    expect(() => decodeEvent('prasar.content.v1.ContentSubmitted', new Uint8Array([0x0a, 0xff]))).toThrow(
      MalformedEventError,
    );
  });
});

describe('event types and topics', () => {
  it('names an event by its full proto name', () => {
    expect(eventTypeOf(ContentSubmittedSchema)).toBe('prasar.content.v1.ContentSubmitted');
    expect(() => eventTypeOf(ContentSnapshotSchema)).toThrow(UnknownEventTypeError);
  });

  it('routes an event type to the topic of its package', () => {
    expect(topicOfEventType('prasar.content.v1.ContentSubmitted')).toBe('prasar.content.v1');
    expect(topicOfEventType('prasar.approval.v1.ApprovalEscalated')).toBe(TOPICS.approval);
    expect(topicOfEventType('prasar.engagement.v1.EngagementSnapshot')).toBe(TOPICS.engagement);
    expect(() => topicOfEventType('prasar.common.v1.Actor')).toThrow(UnknownEventTypeError);
    expect(() => topicOfEventType('ContentSubmitted')).toThrow(UnknownEventTypeError);
  });

  it('maps every event in the registry to a topic of topics.json', () => {
    const types = [...eventRegistry].map((desc) => desc.typeName);
    expect(types).toHaveLength(EVENT_SCHEMAS.length);
    for (const type of types) expect(topicsConfig.topics).toContain(topicOfEventType(type));
    // Every topic has events (no topic is created for nothing).
    expect(new Set(types.map(topicOfEventType))).toEqual(new Set(topicsConfig.topics));
  });

  it('registers exactly the events of the contract', () => {
    expect(EVENT_SCHEMAS.map((s) => s.typeName).sort()).toEqual(
      [
        'prasar.content.v1.ContentCreated',
        'prasar.content.v1.ContentUpdated',
        'prasar.content.v1.ContentSubmitted',
        'prasar.content.v1.ContentWithdrawn',
        'prasar.content.v1.ContentStatusChanged',
        'prasar.content.v1.CompliancePolicyChanged',
        'prasar.content.v1.DepartmentMinistersChanged',
        'prasar.content.v1.AuditEntryRecorded',
        'prasar.content.v1.DepartmentCreated',
        'prasar.approval.v1.ApprovalOpened',
        'prasar.approval.v1.StageDecided',
        'prasar.approval.v1.ContentApproved',
        'prasar.approval.v1.ContentRejected',
        'prasar.approval.v1.ChangesRequested',
        'prasar.approval.v1.ApprovalEscalated',
        'prasar.approval.v1.ApprovalCancelled',
        'prasar.schedule.v1.PublicationScheduled',
        'prasar.schedule.v1.PublishRequested',
        'prasar.schedule.v1.PublicationHeld',
        'prasar.schedule.v1.PublicationReleased',
        'prasar.schedule.v1.PublicationCancelled',
        'prasar.schedule.v1.BlackoutDeclared',
        'prasar.schedule.v1.BlackoutEnded',
        'prasar.publish.v1.PublishAttempted',
        'prasar.publish.v1.PublicationPublished',
        'prasar.publish.v1.PublicationFailed',
        'prasar.publish.v1.AccountNeedsReauth',
        'prasar.publish.v1.AccountConnected',
        'prasar.engagement.v1.EngagementSnapshot',
      ].sort(),
    );
  });

  it('keeps the key convention: field 1 is the key, content events carry the department', () => {
    for (const schema of EVENT_SCHEMAS) {
      const [first, second] = [...schema.fields].sort((a, b) => a.number - b.number);
      expect({ event: schema.typeName, number: first?.number }).toEqual({
        event: schema.typeName,
        number: 1,
      });
      if (schema.typeName.includes('.Blackout')) {
        expect(first?.name).toBe('blackout_id');
      } else if (schema.typeName === 'prasar.content.v1.CompliancePolicyChanged') {
        expect(first?.name).toBe('policy_id');
      } else if (
        schema.typeName === 'prasar.content.v1.DepartmentMinistersChanged' ||
        schema.typeName === 'prasar.content.v1.DepartmentCreated'
      ) {
        expect(first?.name).toBe('department_id');
      } else if (schema.typeName.includes('.Account')) {
        expect([first?.name, second?.name]).toEqual(['account_id', 'department_id']);
      } else {
        expect([schema.typeName, first?.name, second?.name]).toEqual([
          schema.typeName,
          'content_id',
          'department_id',
        ]);
      }
    }
  });
});

describe('keys and departments', () => {
  it('reads the Kafka key and the department from an event', () => {
    expect(eventKeyOf(ContentSubmittedSchema, submitted)).toBe('c-42');
    expect(departmentIdOf(ContentSubmittedSchema, submitted)).toBe('dept-agriculture');
    const blackout = { blackoutId: 'b-1', regions: [], reason: 'Lok Sabha 2024' };
    expect(eventKeyOf(BlackoutDeclaredSchema, blackout)).toBe('b-1');
    expect(departmentIdOf(BlackoutDeclaredSchema, blackout)).toBeUndefined();
  });

  it('refuses an event without its key', () => {
    expect(() => eventKeyOf(EngagementSnapshotSchema, { publicationId: 'p-1' })).toThrow(/content_id/);
  });
});

describe('dead-letter topics', () => {
  it('names the DLQ twin of a topic and back', () => {
    expect(dlqTopicOf('prasar.content.v1')).toBe(`prasar.content.v1${DLQ_SUFFIX}`);
    expect(DLQ_SUFFIX).toBe(topicsConfig.dlqSuffix);
    expect(topicOfDlq(dlqTopicOf(TOPICS.publish))).toBe('prasar.publish.v1');
  });

  it('gives any consumed topic a twin but refuses a DLQ of a DLQ', () => {
    expect(dlqTopicOf('test.orders')).toBe(`test.orders${DLQ_SUFFIX}`);
    expect(() => dlqTopicOf('prasar.content.v1.dlq')).toThrow(UnknownTopicError);
    expect(() => dlqTopicOf('')).toThrow(UnknownTopicError);
    expect(() => topicOfDlq('prasar.content.v1')).toThrow(UnknownTopicError);
  });
});
