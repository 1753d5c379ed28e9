// Intake's events through the real broker into the Nest handlers: a submission opens an approval, a
// withdrawal cancels it, each in the consumer's transaction. A topic of the test's own keeps the
// shared topics free of its made-up content.
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import pino from 'pino';
import type { Kafka, Producer } from 'kafkajs';
import {
  ApprovalCancelledSchema,
  CancelReason,
  ContentSubmittedSchema,
  ContentWithdrawnSchema,
  dlqTopicOf,
} from '@prasar/contracts';
import {
  createIdempotentProducer,
  createKafka,
  EventConsumer,
  KafkaEventTransport,
  toEventRecord,
} from '@prasar/kafka';
import { eventually, readInfraEnv } from '@prasar/testing';
import { approvalHarness, person, submissionEvent, type Harness } from '../__fixtures__/harness';
import { ApprovalService } from './approval.service';
import { ContentEventsHandler } from './content-events.handler';

const logger = pino({ level: 'silent' });
const itCell = person('it-admin', ['IT_CELL_ADMIN']);

describe('content events from intake, over Kafka', () => {
  let h: Harness;
  let kafka: Kafka;
  let producer: Producer;
  let app: INestApplication;
  const topic = `test.approval.${randomUUID()}`;

  beforeAll(async () => {
    h = await approvalHarness('approval_events');
    kafka = createKafka('approval-events-test', readInfraEnv().KAFKA_BROKERS.split(','), logger);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [topic, dlqTopicOf(topic)].map((t) => ({ topic: t, numPartitions: 2, replicationFactor: 1 })),
    });
    await admin.disconnect();
    producer = createIdempotentProducer(kafka);
    await producer.connect();

    const transport = new KafkaEventTransport(
      (handlerFor) =>
        new EventConsumer(
          kafka,
          producer,
          h.ds,
          logger,
          { groupId: `approval-test-${randomUUID()}`, topics: [topic], maxAttempts: 2, initialBackoffMs: 20 },
          handlerFor,
        ),
    );
    const moduleRef = await Test.createTestingModule({
      controllers: [ContentEventsHandler],
      providers: [{ provide: ApprovalService, useValue: h.approvals }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.connectMicroservice({ strategy: transport });
    await app.startAllMicroservices();
    await transport.unwrap<EventConsumer>().waitForAssignment();
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await h?.close();
  });

  /** An event as intake's relay puts it on the topic (the one way events are shaped: toEventRecord). */
  async function send<Desc extends DescMessage>(schema: Desc, message: MessageInitShape<Desc>, key: string) {
    const record = toEventRecord('/prasar/intake', { schema, message, key });
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key, value: record.value, headers: record.headers }],
    });
  }

  it('opens an approval on ContentSubmitted and cancels it on ContentWithdrawn', async () => {
    const event = submissionEvent();
    const contentId = event.contentId;
    await send(ContentSubmittedSchema, event, contentId);
    await eventually(async () =>
      expect(await h.approvals.latestFor(itCell, contentId)).toMatchObject({ state: 'PENDING' }),
    );

    await send(
      ContentWithdrawnSchema,
      {
        contentId,
        departmentId: event.departmentId,
        version: 1,
        actor: { subject: 'editor-agriculture', name: 'editor', roles: ['DEPT_EDITOR'] },
        reason: 'Programme postponed',
      },
      contentId,
    );
    await eventually(async () =>
      expect(await h.approvals.latestFor(itCell, contentId)).toMatchObject({ state: 'CANCELLED' }),
    );
    expect(await h.events(ApprovalCancelledSchema, contentId)).toMatchObject([
      { reason: CancelReason.WITHDRAWN, actor: { subject: 'editor-agriculture' } },
    ]);
  });
});
