// Integration: the outbox, the inbox and the dead-letter path against the real broker and database.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { DataSource, type EntityManager } from 'typeorm';
import pino from 'pino';
import {
  ContentApprovedSchema,
  ContentCreatedSchema,
  ContentWithdrawnSchema,
  PublishRequestedSchema,
  TOPICS,
  dlqTopicOf,
  encodeEvent,
  eventTypeOf,
} from '@prasar/contracts';
import { createServiceDataSource, migrate } from '@prasar/persistence';
import { getTestSpanExporter, renderMetrics, startTelemetry } from '@prasar/telemetry';
import { eventually, readInfraEnv, scratchDatabase } from '@prasar/testing';
import { createIdempotentProducer, createKafka } from './client';
import { EventConsumer, type EventHandler, type Outcome } from './consumer';
import { deferredIn, type DeferredWork } from './deferred';
import { UntrustedEventError } from './envelope';
import { inspectDeadLetters, replayDeadLetters } from './dlq';
import { HEADER } from './headers';
import { KafkaOutboxInbox1764100000000 } from './migration';
import { enqueueEvent, toEventRecord } from './outbox';
import { OutboxRelay } from './relay';

const logger = pino({ level: 'silent' });
const env = readInfraEnv();

describe('libs/kafka against real Kafka and PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let ds: DataSource;
  let kafka: Kafka;
  let producer: Producer;
  const consumers: EventConsumer[] = [];

  beforeAll(async () => {
    // Spans are kept in memory, for the tracing test below.
    startTelemetry({ serviceName: 'kafka-lib-spec', testExporter: 'memory', instrumentations: false });
    db = await scratchDatabase('kafka_lib');
    ds = createServiceDataSource({
      service: 'kafka-test',
      url: db.url,
      entities: [],
      migrations: [KafkaOutboxInbox1764100000000],
    });
    await ds.initialize();
    await migrate(ds);
    await ds.query(`CREATE TABLE effects (event_id uuid, note text)`);
    kafka = createKafka('kafka-lib-test', env.KAFKA_BROKERS.split(','), logger);
    producer = createIdempotentProducer(kafka);
    await producer.connect();
  });

  afterAll(async () => {
    for (const c of consumers) await c.stop();
    await producer?.disconnect();
    await ds?.destroy();
    await db?.drop();
  });

  /** A consumer whose handler writes one effect row per handled event, in the handler's transaction. */
  async function startConsumer(
    topics: string[],
    handler?: EventHandler,
    maxAttempts = 3,
    transactionBatchSize?: number,
    fromBeginning = true,
    spanPerEvent?: boolean,
  ) {
    const outcomes: { outcome: Outcome; id?: string; type?: string }[] = [];
    const consumer = new EventConsumer(
      kafka,
      producer,
      ds,
      logger,
      {
        groupId: `test-${randomUUID()}`,
        topics,
        maxAttempts,
        initialBackoffMs: 20,
        maxBackoffMs: 100,
        fromBeginning,
        transactionBatchSize,
        spanPerEvent,
      },
      () =>
        handler ??
        (async (event, em: EntityManager) => {
          await em.query(`INSERT INTO effects (event_id, note) VALUES ($1, $2)`, [event.id, event.type]);
        }),
    );
    consumer.onOutcome = (outcome, e) => outcomes.push({ outcome, id: e.id, type: e.type });
    const assigned = consumer.start().then(() => undefined);
    consumers.push(consumer);
    await assigned;
    await consumer.waitForAssignment();
    return { consumer, outcomes };
  }

  async function createTopic(): Promise<string> {
    const topic = `test.kafka.${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: 2, replicationFactor: 1 },
        { topic: dlqTopicOf(topic), numPartitions: 2, replicationFactor: 1 },
      ],
    });
    await admin.disconnect();
    return topic;
  }

  function contentCreated(contentId: string) {
    return {
      schema: ContentCreatedSchema,
      message: { contentId, departmentId: randomUUID(), snapshot: { contentId, title: 'कृषि उपलब्धि' } },
    };
  }

  /** A raw ContentWithdrawn message as producers put it on a topic (headers as given). */
  function withdrawn(contentId: string, id: string, extraHeaders: Record<string, string> = {}) {
    return {
      key: contentId,
      value: Buffer.from(encodeEvent(ContentWithdrawnSchema, { contentId, reason: 'r' })),
      headers: {
        [HEADER.id]: id,
        [HEADER.type]: eventTypeOf(ContentWithdrawnSchema),
        [HEADER.source]: '/test',
        ...extraHeaders,
      },
    };
  }

  it('publishes each outbox event exactly once in effect, even when the relay dies between send and mark', async () => {
    // The shared topic keeps every earlier run's events: a new group starts at its end.
    const { outcomes } = await startConsumer([TOPICS.content], undefined, 3, undefined, false);
    // Its start offsets are settled once it has seen a probe (one sent too early is simply missed).
    const probes: string[] = [];
    await eventually(async () => {
      const record = toEventRecord('/test', contentCreated(randomUUID()));
      probes.push(record.id);
      await producer.send({
        topic: record.topic,
        messages: [{ key: record.key, value: record.value, headers: record.headers }],
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(outcomes.some((o) => o.id && probes.includes(o.id))).toBe(true);
    });
    const contentId = randomUUID();
    const ids = await ds.transaction(async (em) => [
      await enqueueEvent(em, '/test', contentCreated(contentId)),
      await enqueueEvent(em, '/test', contentCreated(contentId)),
      await enqueueEvent(em, '/test', contentCreated(contentId)),
    ]);

    // First relay: the batch reaches Kafka, then the process "dies" before marking it sent.
    const dying = new OutboxRelay(ds, producer, logger, {
      afterSend: async () => {
        throw new Error('killed between send and mark');
      },
    });
    await expect(dying.relayOnce()).rejects.toThrow('killed between send and mark');
    const [{ pending }] = await ds.query(
      `SELECT count(*)::int AS pending FROM prasar_outbox WHERE published_at IS NULL`,
    );
    expect(pending).toBe(3);

    // The restarted relay sends the batch again and marks it.
    const restarted = new OutboxRelay(ds, producer, logger);
    expect(await restarted.relayOnce()).toBe(3);
    expect(await restarted.relayOnce()).toBe(0);

    await eventually(async () => {
      // The shared topic has history from other runs: look only at this test's events.
      const mine = outcomes.filter((o) => o.id && ids.includes(o.id));
      expect(mine.map((o) => o.outcome)).toEqual([
        'handled',
        'handled',
        'handled',
        'duplicate',
        'duplicate',
        'duplicate',
      ]);
    });
    const rows: { event_id: string }[] = await ds.query(
      `SELECT event_id FROM effects WHERE event_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(rows.map((r) => r.event_id).sort()).toEqual([...ids].sort());
    expect(await restarted.backlog()).toEqual({ pending: 0, oldestAgeSeconds: 0 });
  });

  it('keeps one relay at a time: a second relay finds the outbox locked and sends nothing', async () => {
    await ds.transaction((em) => enqueueEvent(em, '/test', contentCreated(randomUUID())));
    const slow = new OutboxRelay(ds, producer, logger, {
      afterSend: async () => {
        const other = new OutboxRelay(ds, producer, logger);
        expect(await other.relayOnce()).toBe(0);
      },
    });
    expect(await slow.relayOnce()).toBe(1);
  });

  it('handles a redelivered event once: the second delivery changes nothing', async () => {
    const topic = await createTopic();
    const { outcomes } = await startConsumer([topic]);
    const eventId = randomUUID();
    const contentId = randomUUID();
    const message = {
      key: contentId,
      value: Buffer.from(encodeEvent(ContentWithdrawnSchema, { contentId, reason: 'duplicate post' })),
      headers: {
        [HEADER.id]: eventId,
        [HEADER.type]: eventTypeOf(ContentWithdrawnSchema),
        [HEADER.source]: '/test',
      },
    };
    await producer.send({ topic, messages: [message] });
    await producer.send({ topic, messages: [message] });
    await eventually(async () =>
      expect(outcomes.map((o) => [o.id, o.outcome])).toEqual([
        [eventId, 'handled'],
        [eventId, 'duplicate'],
      ]),
    );
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM effects WHERE event_id = $1`, [eventId]);
    expect(n).toBe(1);
  });

  it('parks a message that always fails on the .dlq topic and goes on with the next one; it can be replayed', async () => {
    const topic = await createTopic();
    const poison = randomUUID();
    let healed = false;
    const handled: string[] = [];
    const { outcomes } = await startConsumer([topic], async (event) => {
      if (event.id === poison && !healed) throw new Error('district list unavailable');
      handled.push(event.id);
    });
    const contentId = randomUUID(); // same key: same partition, poison first
    const next = randomUUID();
    const msg = (id: string) => ({
      key: contentId,
      value: Buffer.from(encodeEvent(ContentWithdrawnSchema, { contentId, reason: 'r' })),
      headers: {
        [HEADER.id]: id,
        [HEADER.type]: eventTypeOf(ContentWithdrawnSchema),
        [HEADER.source]: '/test',
      },
    });
    await producer.send({ topic, messages: [msg(poison), msg(next)] });

    await eventually(async () => expect(handled).toEqual([next]));
    expect(outcomes.map((o) => o.outcome)).toEqual(['dead-lettered', 'handled']);

    const parked = await inspectDeadLetters(kafka, dlqTopicOf(topic));
    expect(parked).toHaveLength(1);
    expect(parked[0].headers[HEADER.id]).toBe(poison);
    expect(parked[0].error).toContain('district list unavailable');
    expect(parked[0].headers[HEADER.dlqAttempts]).toBe('3');
    expect(parked[0].originalTopic).toBe(topic);

    healed = true;
    expect(await replayDeadLetters(kafka, parked)).toBe(1);
    await eventually(async () => expect(handled).toEqual([next, poison]));

    // The outcomes are visible to operators: DLQ count and per-type outcomes on /metrics.
    const text = await renderMetrics();
    expect(text).toMatch(
      new RegExp(`prasar_kafka_dead_lettered_total\\{[^}]*topic="${topic.replace(/\./g, '\\.')}"[^}]*\\} 1`),
    );
    expect(text).toMatch(/prasar_kafka_messages_processed_total\{[^}]*outcome="dead-lettered"/);
    expect(text).toMatch(/prasar_kafka_consumer_lag\{/);
  });

  it('parks an undecodable message at once, without retrying', async () => {
    const topic = await createTopic();
    const { outcomes } = await startConsumer([topic]);
    await producer.send({
      topic,
      messages: [
        {
          key: 'k',
          value: Buffer.from([0xff, 0xff, 0xff]),
          headers: { [HEADER.id]: randomUUID(), [HEADER.type]: eventTypeOf(ContentWithdrawnSchema) },
        },
      ],
    });
    await eventually(async () => expect(outcomes.map((o) => o.outcome)).toEqual(['dead-lettered']));
    const parked = await inspectDeadLetters(kafka, dlqTopicOf(topic));
    expect(parked[0].error).toContain('MalformedEventError');
    expect(parked[0].headers[HEADER.dlqAttempts]).toBe('0');
  });

  it.each([
    ['one by one', undefined],
    ['in batch mode', 50],
  ])(
    'parks a forged or misrouted event at once with the reason, handling nothing (%s)',
    async (_mode, batch) => {
      // The test topic stands for the schedule topic: only schedule events belong on it.
      const topic = await createTopic();
      const handled: string[] = [];
      const consumer = new EventConsumer(
        kafka,
        producer,
        ds,
        logger,
        {
          groupId: `test-${randomUUID()}`,
          topics: [topic],
          initialBackoffMs: 20,
          fromBeginning: true,
          transactionBatchSize: batch,
          topicAliases: { [topic]: TOPICS.schedule },
        },
        () => async (event) => {
          handled.push(event.id);
        },
      );
      const outcomes: { outcome: Outcome; id?: string }[] = [];
      consumer.onOutcome = (outcome, e) => outcomes.push({ outcome, id: e.id });
      consumers.push(consumer);
      await consumer.start();
      await consumer.waitForAssignment();
      const contentId = randomUUID();
      const department = randomUUID();
      const publishRequested = (departmentId: string) => ({
        schema: PublishRequestedSchema,
        message: { contentId, departmentId, publicationId: randomUUID(), accountId: 'x-1', attempt: 1 },
      });
      // A ContentApproved on the schedule topic (would skip approval), a PublishRequested whose
      // header names another department than its payload, one without the header, and a good one.
      const misrouted = toEventRecord('/forger', {
        schema: ContentApprovedSchema,
        message: { contentId, departmentId: department, contentVersion: 1 },
      });
      const forged = toEventRecord('/forger', {
        ...publishRequested(department),
        departmentId: randomUUID(),
      });
      const headerless = toEventRecord('/forger', publishRequested(department));
      delete headerless.headers[HEADER.departmentId];
      const good = toEventRecord('/scheduler', publishRequested(department));
      await producer.send({
        topic,
        messages: [misrouted, forged, headerless, good].map((r) => ({
          key: contentId,
          value: r.value,
          headers: r.headers,
        })),
      });
      await eventually(async () => expect(outcomes).toHaveLength(4));
      expect(outcomes.map((o) => o.outcome)).toEqual([
        'dead-lettered',
        'dead-lettered',
        'dead-lettered',
        'handled',
      ]);
      expect(handled).toEqual([good.id]);
      const parked = await inspectDeadLetters(kafka, dlqTopicOf(topic));
      const reasons = new Map(parked.map((p) => [p.headers[HEADER.id], p.error]));
      expect(reasons.get(misrouted.id)).toContain(
        `event type prasar.approval.v1.ContentApproved does not belong to topic ${topic}`,
      );
      expect(reasons.get(forged.id)).toContain(`does not match the payload's department "${department}"`);
      expect(reasons.get(headerless.id)).toContain(`department header (none) does not match`);
      expect(parked.every((p) => p.headers[HEADER.dlqAttempts] === '0')).toBe(true);
    },
  );

  it('parks an event its handler finds untrustworthy at once, without retrying, keeping nothing of it', async () => {
    const topic = await createTopic();
    let calls = 0;
    const { outcomes } = await startConsumer([topic], async (event, em) => {
      calls += 1;
      await em.query(`INSERT INTO effects (event_id, note) VALUES ($1, 'partial')`, [event.id]);
      throw new UntrustedEventError('account a-1 belongs to another department');
    });
    const id = randomUUID();
    await producer.send({ topic, messages: [withdrawn(randomUUID(), id)] });
    await eventually(async () => expect(outcomes.map((o) => o.outcome)).toEqual(['dead-lettered']));
    expect(calls).toBe(1);
    const parked = await inspectDeadLetters(kafka, dlqTopicOf(topic));
    expect(parked[0].error).toBe('UntrustedEventError: account a-1 belongs to another department');
    expect(parked[0].headers[HEADER.dlqAttempts]).toBe('1');
    expect(await ds.query('SELECT count(*)::int AS n FROM effects WHERE event_id = $1', [id])).toEqual([
      { n: 0 },
    ]);
  });

  it('in batch mode, handles a batch in one transaction, drops redeliveries, and still parks a poison message alone', async () => {
    const topic = await createTopic();
    const poison = randomUUID();
    const handled: string[] = [];
    const { outcomes } = await startConsumer(
      [topic],
      async (event, em) => {
        if (event.id === poison) throw new Error('cannot read this snapshot');
        await em.query(`INSERT INTO effects (event_id, note) VALUES ($1, 'batch')`, [event.id]);
        handled.push(event.id);
      },
      2,
      100,
    );
    const contentId = randomUUID();
    const message = (id: string) => withdrawn(contentId, id);
    const first = Array.from({ length: 40 }, () => randomUUID());
    // A clean batch: one transaction, one redelivered id inside it.
    await producer.send({ topic, messages: [...first, first[0]].map(message) });
    await eventually(async () => expect(outcomes).toHaveLength(41));
    expect(outcomes.filter((o) => o.outcome === 'handled')).toHaveLength(40);
    expect(outcomes.filter((o) => o.outcome === 'duplicate').map((o) => o.id)).toEqual([first[0]]);
    // A batch with a poison message falls back to one by one: the rest are handled, the poison parked.
    const second = [randomUUID(), poison, randomUUID()];
    await producer.send({ topic, messages: second.map(message) });
    await eventually(async () => expect(outcomes).toHaveLength(44));
    expect(outcomes.slice(41).map((o) => [o.id, o.outcome])).toEqual([
      [second[0], 'handled'],
      [poison, 'dead-lettered'],
      [second[2], 'handled'],
    ]);
    const [{ n }] = await ds.query(
      `SELECT count(*)::int AS n FROM effects WHERE event_id = ANY($1::uuid[])`,
      [[...first, ...second]],
    );
    expect(n).toBe(42);
  });
  it('writes deferred work once per transaction, and a unit that fails to write is retried one event at a time', async () => {
    const topic = await createTopic();
    const statements: number[] = [];
    const refused = randomUUID();
    // A read model that collects rows and writes them in one statement when the transaction ends.
    const effects: DeferredWork<string[]> = {
      create: () => [],
      flush: async (ids, em) => {
        statements.push(ids.length);
        if (ids.includes(refused)) throw new Error('a row the table refuses');
        await em.query(`INSERT INTO effects (event_id, note) SELECT unnest($1::uuid[]), 'deferred'`, [ids]);
      },
    };
    const { outcomes } = await startConsumer(
      [topic],
      async (event, em) => {
        deferredIn(em, effects).push(event.id);
      },
      2,
      100,
    );
    const contentId = randomUUID();
    const message = (id: string) => withdrawn(contentId, id);
    const ids = Array.from({ length: 30 }, () => randomUUID());
    await producer.send({ topic, messages: ids.map(message) });
    await eventually(async () => expect(outcomes).toHaveLength(30));
    // Kafka may hand the 30 over in one batch or a few; never a statement per event.
    expect(statements.reduce((a, b) => a + b, 0)).toBe(30);
    expect(statements.length).toBeLessThanOrEqual(3);
    const count = async (list: string[]) =>
      (await ds.query(`SELECT count(*)::int AS n FROM effects WHERE event_id = ANY($1::uuid[])`, [list]))[0]
        .n as number;
    expect(await count(ids)).toBe(30);

    // The unit holding the refused row fails as a whole; one by one, the others are written and
    // the refused event alone is parked.
    statements.length = 0;
    const more = [randomUUID(), refused, randomUUID()];
    await producer.send({ topic, messages: more.map(message) });
    await eventually(async () => expect(outcomes).toHaveLength(33));
    expect(outcomes.slice(30).map((o) => [o.id, o.outcome])).toEqual([
      [more[0], 'handled'],
      [refused, 'dead-lettered'],
      [more[2], 'handled'],
    ]);
    // The refused event was written alone, once per attempt.
    expect(statements.filter((n) => n === 1).length).toBeGreaterThanOrEqual(2);
    expect(await count(more)).toBe(2);
  });
  it("in batch mode, continues each event's trace in a span of its own, or links a read model's batch span to them", async () => {
    const traceIds = Array.from({ length: 5 }, () => randomBytes(16).toString('hex'));
    const message = (traceId: string) =>
      withdrawn(randomUUID(), randomUUID(), {
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      });
    const spans = () => getTestSpanExporter()!.getFinishedSpans();

    const perEventTopic = await createTopic();
    const perEvent = await startConsumer([perEventTopic], async () => undefined, 2, 100);
    await producer.send({ topic: perEventTopic, messages: traceIds.map(message) });
    await eventually(async () => expect(perEvent.outcomes).toHaveLength(5));
    const processed = spans().filter(
      (s) =>
        s.name === `process ${eventTypeOf(ContentWithdrawnSchema)}` &&
        s.attributes['messaging.destination.name'] === perEventTopic,
    );
    expect(processed.map((s) => s.spanContext().traceId).sort()).toEqual([...traceIds].sort());

    const batchTopic = await createTopic();
    const batched = await startConsumer([batchTopic], async () => undefined, 2, 100, true, false);
    await producer.send({ topic: batchTopic, messages: traceIds.map(message) });
    await eventually(async () => expect(batched.outcomes).toHaveLength(5));
    const batchSpans = spans().filter((s) => s.name === `process ${batchTopic} batch`);
    expect(batchSpans.length).toBeGreaterThanOrEqual(1);
    expect(batchSpans.flatMap((s) => s.links.map((l) => l.context.traceId)).sort()).toEqual(
      [...traceIds].sort(),
    );
    expect(
      spans().filter(
        (s) =>
          s.attributes['messaging.destination.name'] === batchTopic && s.name.startsWith('process prasar'),
      ),
    ).toHaveLength(0);
  });
});
