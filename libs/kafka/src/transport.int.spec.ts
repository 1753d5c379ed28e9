// The Nest transport end to end: an @EventPattern handler in a real Nest app, on the real broker
// and database; a handler that keeps failing is parked with its own error message.
import { randomUUID } from 'node:crypto';
import { Controller, Module, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import pino from 'pino';
import { ContentWithdrawnSchema, dlqTopicOf, eventTypeOf, type ContentWithdrawn } from '@prasar/contracts';
import { migrate, PersistenceModule, createServiceDataSource } from '@prasar/persistence';
import { eventually, readInfraEnv, scratchDatabase } from '@prasar/testing';
import { createIdempotentProducer, createKafka } from './client';
import { inspectDeadLetters } from './dlq';
import { KafkaOutboxInbox1764100000000 } from './migration';
import { EventingModule } from './module';
import { toEventRecord } from './outbox';
import { connectEventTransport, KafkaEventContext, PassThroughRpcFilter } from './transport';

const seen: string[] = [];

@Controller()
@UseFilters(PassThroughRpcFilter)
class WithdrawalHandler {
  @EventPattern(eventTypeOf(ContentWithdrawnSchema))
  async onWithdrawn(@Payload() e: ContentWithdrawn, @Ctx() ctx: KafkaEventContext): Promise<void> {
    if (e.reason === 'poison') throw new Error('district list unavailable');
    await ctx.manager.query('SELECT 1');
    seen.push(e.contentId);
  }
}

describe('KafkaEventTransport in a Nest app', () => {
  const env = readInfraEnv();
  const topic = `test.transport.${randomUUID()}`;
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let app: INestApplication;

  beforeAll(async () => {
    db = await scratchDatabase('transport');
    const ds = createServiceDataSource({
      service: 't',
      url: db.url,
      entities: [],
      migrations: [KafkaOutboxInbox1764100000000],
    });
    await migrate(ds);
    const kafka = createKafka('transport-test', env.KAFKA_BROKERS.split(','), pino({ level: 'silent' }));
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: 1 },
        { topic: dlqTopicOf(topic), numPartitions: 1 },
      ],
    });
    await admin.disconnect();

    @Module({
      imports: [
        PersistenceModule.forRoot({ service: 't', url: db.url, entities: [], migrations: [] }),
        EventingModule.forRoot({
          service: 'transport-test',
          brokers: env.KAFKA_BROKERS.split(','),
          consume: {
            groupId: `transport-${randomUUID()}`,
            topics: [topic],
            maxAttempts: 2,
            initialBackoffMs: 10,
          },
        }),
      ],
      controllers: [WithdrawalHandler],
    })
    class TestModule {}

    const moduleRef = await Test.createTestingModule({ imports: [TestModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    connectEventTransport(app);
    await app.startAllMicroservices();
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('routes events to their handler and parks a failing one with the handler’s own error', async () => {
    const producer = createIdempotentProducer(
      createKafka('transport-producer', env.KAFKA_BROKERS.split(','), pino({ level: 'silent' })),
    );
    await producer.connect();
    const good = randomUUID();
    const poison = toEventRecord('/test', {
      schema: ContentWithdrawnSchema,
      message: { contentId: randomUUID(), reason: 'poison' },
    });
    const fine = toEventRecord('/test', {
      schema: ContentWithdrawnSchema,
      message: { contentId: good, reason: 'duplicate' },
    });
    await producer.send({
      topic,
      messages: [poison, fine].map((r) => ({ key: 'same-key', value: r.value, headers: r.headers })),
    });
    await producer.disconnect();

    await eventually(async () => expect(seen).toContain(good), 30_000);
    const parked = await eventually(async () => {
      const list = await inspectDeadLetters(
        createKafka('transport-dlq', env.KAFKA_BROKERS.split(','), pino({ level: 'silent' })),
        dlqTopicOf(topic),
      );
      expect(list).toHaveLength(1);
      return list;
    }, 30_000);
    expect(parked[0].error).toContain('district list unavailable');
  });
});
