// Replaying the topics from the start changes no number: a realistic stream of every area's events
// goes through real Kafka into the analytics consumer (batch mode, as deployed), the read models
// are fingerprinted, and then a new consumer group reads the same topic from its first offset
// into the same database, one event per transaction, and the fingerprint must not move.
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Partitioners, type Kafka } from 'kafkajs';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { departmentIdOf, type Principal } from '@prasar/auth';
import {
  ApprovalEscalatedSchema,
  ContentApprovedSchema,
  ContentCreatedSchema,
  ContentKind,
  ContentRejectedSchema,
  ContentSubmittedSchema,
  Decision,
  dlqTopicOf,
  EngagementSnapshotSchema,
  Platform,
  PublicationCancelledSchema,
  PublicationFailedSchema,
  PublicationPublishedSchema,
  PublicationScheduledSchema,
  PublishRequestedSchema,
  StageDecidedSchema,
} from '@prasar/contracts';
import {
  connectEventTransport,
  createKafka,
  EventingModule,
  EventRuntime,
  KafkaEventTransport,
  toEventRecord,
  type EventConsumer,
  type ConsumerOptions,
} from '@prasar/kafka';
import { asPlatform, createServiceDataSource, migrate, PersistenceModule } from '@prasar/persistence';
import { eventually, readInfraEnv, scratchDatabase } from '@prasar/testing';
import { analyticsDataSourceOptions } from './data-source';
import { AnalyticsEventsHandler } from './ingest/events.handler';
import { IngestService } from './ingest/ingest.service';
import { NotificationsService } from './notify/notifications.service';
import { NotifyEvents } from './notify/notify-events';
import { DEFAULT_PRICES, PRICE_LIST } from './pricing';
import { AnalyticsService } from './read/analytics.service';

const KINDS = [
  ContentKind.ACHIEVEMENT,
  ContentKind.SUCCESS_STORY,
  ContentKind.ORDER,
  ContentKind.SCHEME,
  ContentKind.MINISTER_MESSAGE,
];
const PLATFORMS = [Platform.X, Platform.FACEBOOK, Platform.INSTAGRAM, Platform.WHATSAPP];
const HOUR = 3_600_000;

interface Outgoing {
  record: ReturnType<typeof toEventRecord>;
}

/** The read models, row by row, as text: equal fingerprints mean equal numbers everywhere. */
function fingerprint(ds: DataSource): Promise<Record<string, string>> {
  // Read as the platform: row-level security hides every row from a connection without a tenant.
  return asPlatform(ds, async (em) => {
    const tables: Record<string, string> = {
      departments: 'department_id',
      contents: 'content_id',
      content_versions: 'content_id, version',
      content_submissions: 'content_id, submitted_at',
      decisions: 'event_id',
      publications: 'publication_id',
      engagement: 'publication_id',
      sla_breaches: 'approval_id, stage_index',
      daily_facts: 'department_id, day, kind, platform',
      // What people were told: a replay from the start tells no one again (the rows stay identical).
      notifications: 'event_key, department_id, audience_role',
      notification_emails: 'notification_id',
    };
    const out: Record<string, string> = {};
    for (const [table, order] of Object.entries(tables)) {
      const [row] = await em.query(
        `SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY ${order}), '')) AS digest FROM ${table} t`,
      );
      out[table] = `${row.n}:${row.digest}`;
    }
    return out;
  });
}

describe('analytics replay through Kafka', () => {
  const env = readInfraEnv();
  const run = randomUUID().slice(0, 8);
  const topic = `test.analytics.replay.${run}`;
  let kafka: Kafka;
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  const events: Outgoing[] = [];
  const departments = [0, 1, 2, 3].map((i) => departmentIdOf(`replay-${run}-${i}`));
  const itCell: Principal = { subject: `it-${run}`, name: 'IT', roles: ['IT_CELL_ADMIN'] };
  // Two Asia/Kolkata days: 14 and 15 May 2026 (00:00 IST = 18:30 UTC the day before).
  const dayStart = Date.parse('2026-05-13T18:30:00Z');

  function add<Desc extends DescMessage>(schema: Desc, message: MessageInitShape<Desc>, at: number) {
    const record = toEventRecord('/prasar/test', { schema, message });
    record.headers.ce_time = new Date(at).toISOString();
    events.push({ record });
  }

  /** Every area's events for a few departments over two days, with redeliveries and late snapshots. */
  function buildScenario() {
    let n = 0;
    for (const [d, departmentId] of departments.entries()) {
      // Odd contents go out on the second day; the last department has no achievement that day.
      for (let c = 0; c < 12; c++, n++) {
        const contentId = randomUUID();
        const approvalId = randomUUID();
        const k = KINDS[(c + d) % KINDS.length];
        const kind = d === 3 && c % 2 === 1 && k === ContentKind.ACHIEVEMENT ? ContentKind.SCHEME : k;
        const created = dayStart + (c % 2) * 24 * HOUR + (c % 6) * 3 * HOUR + d * 60_000;
        const snapshot = {
          contentId,
          departmentId,
          version: 1,
          kind,
          title: `सामग्री ${n}`,
          body: [{ language: 1, text: `text ${n}` }],
          hashtags: ['MP', `t${c}`],
          ...(c % 4 === 0 ? { link: 'https://mp.gov.in/scheme' } : {}),
          createdAt: timestampFromDate(new Date(created)),
          createdBy: { subject: `editor-${d}`, name: 'Editor' },
        };
        add(ContentCreatedSchema, { contentId, departmentId, snapshot, actor: snapshot.createdBy }, created);
        const submitted = created + 10 * 60_000;
        add(
          ContentSubmittedSchema,
          { contentId, departmentId, snapshot, submittedAt: timestampFromDate(new Date(submitted)) },
          submitted,
        );
        const decided = submitted + (20 + c * 7) * 60_000;
        if (c % 7 === 6) {
          add(
            ContentRejectedSchema,
            {
              contentId,
              departmentId,
              approvalId,
              contentVersion: 1,
              stageIndex: 0,
              actor: { subject: `approver-${d}`, name: 'A' },
              reason: 'not accurate',
            },
            decided,
          );
          continue;
        }
        if (c % 5 === 3)
          add(
            ApprovalEscalatedSchema,
            {
              contentId,
              departmentId,
              approvalId,
              contentVersion: 1,
              stageIndex: 0,
              role: 'DEPT_APPROVER',
              dueAt: timestampFromDate(new Date(submitted + 15 * 60_000)),
            },
            submitted + 16 * 60_000,
          );
        add(
          StageDecidedSchema,
          {
            contentId,
            departmentId,
            approvalId,
            contentVersion: 1,
            stageIndex: 0,
            role: 'DEPT_APPROVER',
            decision: Decision.APPROVE,
            actor: { subject: `approver-${d}`, name: 'A' },
            approvals: 1,
            requiredApprovals: 1,
            stagePassed: true,
            decidedAt: timestampFromDate(new Date(decided)),
          },
          decided,
        );
        add(
          ContentApprovedSchema,
          {
            contentId,
            departmentId,
            approvalId,
            contentVersion: 1,
            snapshot,
            approvers: [{ subject: `approver-${d}`, name: 'A' }],
            approvedAt: timestampFromDate(new Date(decided)),
          },
          decided,
        );
        for (const [p, platform] of PLATFORMS.slice(0, 1 + (c % 4)).entries()) {
          const publicationId = randomUUID();
          const base = { contentId, departmentId, publicationId, accountId: `acct-${d}-${p}`, platform };
          const at = decided + (p + 1) * 5 * 60_000;
          add(
            PublicationScheduledSchema,
            { ...base, contentVersion: 1, scheduledAt: timestampFromDate(new Date(at)) },
            decided,
          );
          if ((c + p) % 9 === 4) {
            add(PublicationCancelledSchema, { ...base, reason: 'withdrawn' }, at - 60_000);
            continue;
          }
          add(
            PublishRequestedSchema,
            {
              ...base,
              contentVersion: 1,
              scheduledAt: timestampFromDate(new Date(at)),
              attempt: 1,
              snapshot,
            },
            at,
          );
          if ((c + p) % 11 === 5) {
            add(PublicationFailedSchema, { ...base, attempt: 1, permanent: true, reason: 'refused' }, at);
            continue;
          }
          add(
            PublicationPublishedSchema,
            {
              ...base,
              contentVersion: 1,
              attempt: 1,
              externalId: `ext-${publicationId.slice(0, 8)}`,
              url: `https://example.test/${publicationId}`,
              publishedAt: timestampFromDate(new Date(at)),
            },
            at,
          );
          // Snapshots as the poller sends them, the newest before an older one (late delivery).
          for (const round of [1, 3, 2]) {
            const observed = at + round * HOUR;
            add(
              EngagementSnapshotSchema,
              {
                ...base,
                impressions: 100 * round * (c + 1),
                reach: 80 * round,
                likes: 7 * round,
                shares: round,
                comments: 2 * round,
                clicks: 3 * round,
                videoViews: platform === Platform.INSTAGRAM ? 40 * round : 0,
                observedAt: timestampFromDate(new Date(observed)),
              },
              observed,
            );
          }
        }
      }
    }
    // At-least-once delivery: a few events arrive twice (same ce_id).
    for (const e of events.filter((_, i) => i % 17 === 0)) events.push({ record: e.record });
  }

  async function produce() {
    const producer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: events.map(({ record }) => ({
          key: record.key,
          value: record.value,
          headers: record.headers,
        })),
      });
    } finally {
      await producer.disconnect();
    }
  }

  /** Analytics as deployed, on this spec's topic and database, until it has taken every event. */
  async function consumeAll(consume: Omit<ConsumerOptions, 'topics'>): Promise<void> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        PersistenceModule.forRoot(analyticsDataSourceOptions(db.url)),
        EventingModule.forRoot({
          service: 'analytics',
          brokers: env.KAFKA_BROKERS.split(','),
          consume: { ...consume, topics: [topic] },
        }),
      ],
      controllers: [AnalyticsEventsHandler],
      // Notifications ride along (the handler records them with the read models); no mail is sent here.
      providers: [
        { provide: PRICE_LIST, useValue: DEFAULT_PRICES },
        IngestService,
        NotificationsService,
        NotifyEvents,
      ],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    connectEventTransport(app);
    await app.init();
    await app.get(EventRuntime).relay.stop();
    const seen: string[] = [];
    const failures: string[] = [];
    try {
      const started = app.startAllMicroservices();
      const consumer = app.get(KafkaEventTransport).unwrap<EventConsumer>();
      consumer.onOutcome = (outcome, e) => {
        seen.push(outcome);
        if (outcome === 'dead-lettered') failures.push(`${e.type} ${e.id}`);
      };
      await started;
      await eventually(async () => expect(seen.length).toBe(events.length), 60_000);
      expect(failures).toEqual([]);
    } finally {
      await app.close();
    }
  }

  beforeAll(async () => {
    kafka = createKafka(`test-replay-${run}`, env.KAFKA_BROKERS.split(','), pino({ level: 'silent' }));
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [topic, dlqTopicOf(topic)].map((t) => ({ topic: t, numPartitions: 6, replicationFactor: 1 })),
    });
    await admin.disconnect();
    db = await scratchDatabase('analytics_replay');
    const ds = createServiceDataSource(analyticsDataSourceOptions(db.url));
    await ds.initialize();
    await migrate(ds);
    await ds.destroy();
    buildScenario();
    await produce();
  }, 60_000);

  afterAll(async () => {
    const admin = kafka?.admin();
    await admin?.connect();
    await admin?.deleteTopics({ topics: [topic, dlqTopicOf(topic)] }).catch(() => undefined);
    await admin?.disconnect();
    await db?.drop();
  });

  it('gives the same read models and numbers when a new group replays the topic from its start', async () => {
    const ds = createServiceDataSource(analyticsDataSourceOptions(db.url));
    await ds.initialize();
    const analytics = new AnalyticsService(ds, DEFAULT_PRICES);
    const numbers = async () => ({
      tables: await fingerprint(ds),
      scorecards: await Promise.all(
        departments.map((d) =>
          analytics.scorecard(itCell, d, new Date(dayStart), new Date(dayStart + 48 * HOUR)),
        ),
      ),
      overview: await Promise.all(
        ['2026-05-14', '2026-05-15'].map((day) => analytics.stateOverview(itCell, day)),
      ),
    });
    try {
      // As deployed: batches of up to 1,000 events per transaction, every partition at once.
      await consumeAll({
        groupId: `test-analytics-${run}-a`,
        transactionBatchSize: 1000,
        partitionsConsumedConcurrently: 6,
      });
      const first = await numbers();
      // The scenario reached every read model: a sanity check that the comparison means something.
      expect(first.scorecards.every((s) => s.published > 0)).toBe(true);
      expect(Number(first.tables.engagement.split(':')[0])).toBeGreaterThan(50);
      expect(Number(first.tables.sla_breaches.split(':')[0])).toBeGreaterThan(0);
      expect(Number(first.tables.notifications.split(':')[0])).toBeGreaterThan(0);
      const met = (o: (typeof first.overview)[number]) =>
        o.departments.filter((x) => departments.includes(x.department.id) && x.achievementPublished).length;
      expect(met(first.overview[1])).toBeLessThan(departments.length);

      // The replay: a new group from the first offset, one event per transaction.
      await consumeAll({ groupId: `test-analytics-${run}-b`, maxAttempts: 3 });
      expect(await numbers()).toEqual(first);
    } finally {
      await ds.destroy();
    }
  }, 180_000);
});
