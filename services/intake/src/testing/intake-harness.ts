// Test support (not a spec): intake as a Nest application on a scratch database, with its Kafka
// consumer on topics of its own, a producer that feeds it events with our CloudEvents headers,
// and builders for callers, departments and accounts.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import type { Kafka, Producer } from 'kafkajs';
import pino from 'pino';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { departmentIdOf, type Principal, type Role } from '@prasar/auth';
import type { Platform } from '@prasar/compliance';
import {
  AccountConnectedSchema,
  dlqTopicOf,
  eventTypeOf,
  Platform as PbPlatform,
  topicOfEventType,
  TOPICS,
} from '@prasar/contracts';
import {
  createIdempotentProducer,
  createKafka,
  EventRuntime,
  KafkaEventTransport,
  connectEventTransport,
  type EventConsumer,
  type Outcome,
  toEventRecord,
} from '@prasar/kafka';
import { asPlatform, createServiceDataSource, migrate } from '@prasar/persistence';
import {
  adminClientFor,
  eventually,
  readInfraEnv,
  readOutbox,
  scratchDatabase,
  type InfraEnv,
  type OutboxEvent,
} from '@prasar/testing';
import { AccountsService } from '../accounts/accounts.service';
import { AuditTrail } from '../audit/audit.service';
import { ComplianceService } from '../compliance/compliance.service';
import type { ContentInputArgs } from '../content/content.resolver';
import { ContentListing } from '../content/content.listing';
import { ContentService } from '../content/content.service';
import { intakeDataSourceOptions } from '../data-source';
import { DepartmentService } from '../department/department.service';
import { IntakeModule } from '../intake.module';

export interface HarnessOptions {
  /** Run the Kafka consumer (on this harness's own topics). */
  consume?: boolean;
  /** Serve GraphQL over HTTP on a free port. */
  http?: boolean;
}

export type { OutboxEvent } from '@prasar/testing';

export interface IntakeHarness {
  env: InfraEnv;
  app: INestApplication;
  ds: DataSource;
  /** The scratch database's URL (its own non-superuser role, as in production). */
  databaseUrl: string;
  databaseName: string;
  contents: ContentService;
  listing: ContentListing;
  departments: DepartmentService;
  accounts: AccountsService;
  compliance: ComplianceService;
  audit: AuditTrail;
  /** GraphQL endpoint when started with `http`. */
  url?: string;
  /** Produces an event to the topic of its area (this harness's copy) with our CloudEvents headers; returns its id. */
  emit<Desc extends DescMessage>(schema: Desc, message: MessageInitShape<Desc>): Promise<string>;
  /** Waits until the consumer reached a final outcome for an event id. */
  handled(eventId: string): Promise<Outcome>;
  /** Creates a department as the IT cell; returns its id. */
  department(code: string): Promise<string>;
  /** Records an account as AccountConnected would (the handler's own code, in a platform transaction). */
  connectAccount(id: string, departmentId: string, platform: Platform, handle?: string): Promise<void>;
  /** Every event in the outbox, oldest first, optionally of one type (short name, e.g. `ContentUpdated`). */
  outbox(type?: string): Promise<OutboxEvent[]>;
  /** A superuser connection to the scratch database (bypasses row-level security and, with replica mode, triggers). */
  adminClient(): Promise<Client>;
  close(): Promise<void>;
}

const PLATFORM: Record<Platform, PbPlatform> = {
  X: PbPlatform.X,
  FACEBOOK: PbPlatform.FACEBOOK,
  INSTAGRAM: PbPlatform.INSTAGRAM,
  WHATSAPP: PbPlatform.WHATSAPP,
};

/** A caller as a verified token would describe it. */
export function principal(role: Role | Role[], departmentCode?: string, subject?: string): Principal {
  const roles = Array.isArray(role) ? role : [role];
  return {
    subject: subject ?? `${roles.join('+').toLowerCase()}@${departmentCode ?? 'state'}`,
    name: subject ?? roles.join(' '),
    roles,
    departmentCode,
    departmentId: departmentCode ? departmentIdOf(departmentCode) : undefined,
  };
}

export const IT_CELL = principal('IT_CELL_ADMIN', undefined, 'it-cell-admin');

/** A content input as GraphQL would deliver it (defaults applied). */
export function contentInput(overrides: Partial<ContentInputArgs> = {}): ContentInputArgs {
  return {
    kind: 'ACHIEVEMENT',
    priority: 'NORMAL',
    title: 'गेहूं उपार्जन / Wheat procurement',
    body: [
      { language: 'HI', text: 'प्रदेश में 1 करोड़ मीट्रिक टन गेहूं का उपार्जन।' },
      { language: 'EN', text: 'Madhya Pradesh procured 10 million tonnes of wheat.' },
    ],
    hashtags: ['MPKisan'],
    link: null,
    media: [],
    evidence: null,
    desiredPublishAt: null,
    targetAccountIds: [],
    overrides: [],
    ...overrides,
  };
}

/** Fresh codes per run, so a test never depends on what another left behind. */
export function uniqueCode(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function startIntake(name: string, options: HarnessOptions = {}): Promise<IntakeHarness> {
  process.env.LOG_LEVEL ??= 'warn';
  const env = readInfraEnv();
  const db = await scratchDatabase(`intake_${name}`, env);
  const cleanups: (() => Promise<unknown>)[] = [() => db.drop()];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const migrator = createServiceDataSource(intakeDataSourceOptions(db.url));
    await migrate(migrator);

    const run = randomUUID().slice(0, 8);
    const topicOf: Record<string, string> = {
      [TOPICS.approval]: `test.intake.${run}.approval`,
      [TOPICS.schedule]: `test.intake.${run}.schedule`,
      [TOPICS.publish]: `test.intake.${run}.publish`,
    };
    const kafka: Kafka = createKafka(
      `intake-test-${run}`,
      env.KAFKA_BROKERS.split(','),
      pino({ level: 'silent' }),
    );
    if (options.consume) await createTopics(kafka, Object.values(topicOf), cleanups);

    const moduleRef = await Test.createTestingModule({
      imports: [
        IntakeModule.forRoot({
          databaseUrl: db.url,
          brokers: env.KAFKA_BROKERS.split(','),
          auth: { jwksFile: env.AUTH_JWKS_FILE, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE },
          consume: {
            groupId: `test-intake-${run}`,
            topics: Object.values(topicOf),
            maxAttempts: 3,
            initialBackoffMs: 20,
            maxBackoffMs: 200,
          },
        }),
      ],
    }).compile();
    // Refusals are logged by Nest's exception handler as errors; unexpected errors are still logged
    // by the subgraph's error formatter and the consumer, so Nest's own logger stays quiet.
    const app = moduleRef.createNestApplication({ logger: false });
    cleanups.push(() => app.close());
    if (options.consume) connectEventTransport(app);
    await app.init();
    // Events stay in the outbox, where the tests read them: the relay is proven in libs/kafka, and
    // these tests' events must not reach the platform's real topics.
    await app.get(EventRuntime).relay.stop();

    const outcomes = new Map<string, Outcome>();
    if (options.consume) {
      await app.startAllMicroservices();
      const consumer = app.get(KafkaEventTransport).unwrap<EventConsumer>();
      consumer.onOutcome = (outcome, event) => {
        if (event.id) outcomes.set(event.id, outcome);
      };
      await consumer.waitForAssignment();
    }
    let url: string | undefined;
    if (options.http) {
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as AddressInfo;
      url = `http://127.0.0.1:${port}/graphql`;
    }

    let producer: Producer | undefined;
    const ds = app.get(DataSource);
    const harness: IntakeHarness = {
      env,
      app,
      ds,
      databaseUrl: db.url,
      databaseName: db.name,
      contents: app.get(ContentService),
      listing: app.get(ContentListing),
      departments: app.get(DepartmentService),
      accounts: app.get(AccountsService),
      compliance: app.get(ComplianceService),
      audit: app.get(AuditTrail),
      url,
      async emit(schema, message) {
        if (!producer) {
          const p = createIdempotentProducer(kafka);
          await p.connect();
          cleanups.push(() => p.disconnect());
          producer = p;
        }
        const type = eventTypeOf(schema);
        const topic = topicOf[topicOfEventType(type)];
        if (!topic) throw new Error(`intake does not consume ${type}`);
        const record = toEventRecord('/prasar/test', { schema, message });
        await producer.send({
          topic,
          acks: -1,
          messages: [{ key: record.key, value: record.value, headers: record.headers }],
        });
        return record.id;
      },
      handled(eventId) {
        return eventually(async () => {
          const outcome = outcomes.get(eventId);
          if (!outcome) throw new Error(`event ${eventId} not handled yet`);
          return outcome;
        }, 30_000);
      },
      async department(code) {
        const created = await harness.departments.create(IT_CELL, {
          code,
          name: `Department ${code}`,
          nameHi: `विभाग ${code}`,
        });
        return created.id;
      },
      async connectAccount(id, departmentId, platform, handle = `@${id}`) {
        await asPlatform(ds, (em) =>
          harness.accounts.connected(
            em,
            create(AccountConnectedSchema, {
              accountId: id,
              departmentId,
              platform: PLATFORM[platform],
              handle,
            }),
          ),
        );
      },
      outbox(type) {
        return readOutbox(ds, type);
      },
      adminClient() {
        return adminClientFor(db.name, env);
      },
      close,
    };
    return harness;
  } catch (err) {
    await close();
    throw err;
  }
}

async function createTopics(kafka: Kafka, topics: string[], cleanups: (() => Promise<unknown>)[]) {
  const all = topics.flatMap((t) => [t, dlqTopicOf(t)]);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: all.map((topic) => ({ topic, numPartitions: 2, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
  cleanups.push(async () => {
    const a = kafka.admin();
    await a.connect();
    try {
      await a.deleteTopics({ topics: all });
    } finally {
      await a.disconnect();
    }
  });
}
