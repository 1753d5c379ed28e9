// What the publisher's integration specs share: the platform simulator as a process of its own, the
// publisher as a Nest application on a throwaway database (its own migrations, its own role) with
// its Kafka consumer on a topic of its own, requests as the scheduler sends them, callers with
// roles, and the events the outbox holds. Events stay in the outbox, where the specs read them.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { create, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import type { Kafka, Producer } from 'kafkajs';
import pino from 'pino';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { departmentIdOf, type Principal, type Role } from '@prasar/auth';
import { loadConfig } from '@prasar/config';
import {
  ContentKind,
  dlqTopicOf,
  eventTypeOf,
  Language,
  Platform as PbPlatform,
  Priority,
  PublishRequestedSchema,
  TOPICS,
  topicOfEventType,
  type ContentSnapshotSchema,
} from '@prasar/contracts';
import {
  createIdempotentProducer,
  createKafka,
  EventRuntime,
  HEADER,
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
  platformSim,
  readInfraEnv,
  readOutbox,
  scratchDatabase,
  type InfraEnv,
  type OutboxEvent,
  type PlatformSim,
  type SimInstagramUser,
  type SimXAccount,
} from '@prasar/testing';
import type { Platform } from '@prasar/compliance';
import type { SocialAccount } from '../accounts/account.entity';
import { AccountsService, type AccountOptions } from '../accounts/accounts.service';
import { publisherDataSourceOptions } from '../data-source';
import { EngagementPoller } from '../engagement/engagement-poller';
import { PublishJob, PublishAttempt } from '../publishing/publish-job.entity';
import { PublishJobs, type ClaimedJob } from '../publishing/publish-jobs.service';
import { PublishWorker } from '../publishing/publish-worker';
import { PublisherModule } from '../publisher.module';
import { publisherShape } from '../settings';
import { SubscribersService } from '../whatsapp/subscribers.service';

const ROOT = join(__dirname, '..', '..', '..', '..');

export const key = () => randomBytes(32).toString('base64');

/** A caller as a verified token would describe it. */
export function person(roles: Role | Role[], department?: string, subject?: string): Principal {
  const list = Array.isArray(roles) ? roles : [roles];
  return {
    subject: subject ?? `${list.join('+').toLowerCase()}@${department ?? 'state'}`,
    name: subject ?? list.join(' '),
    roles: list,
    departmentCode: department,
    departmentId: department ? departmentIdOf(department) : undefined,
  };
}

export const IT_CELL = person('IT_CELL_ADMIN', undefined, 'it-cell-admin');

/** Fresh names per run: specs never depend on what another left behind. */
export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
/** A fresh numeric platform id (X user, page, Instagram user, phone number). */
export const numericId = () => `${Date.now()}${Math.floor(Math.random() * 1e6)}`.slice(0, 18);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The platform simulator as its own process (as in production), with its control client. */
export async function startPlatformSim(): Promise<{
  url: string;
  control: PlatformSim;
  stop(): Promise<void>;
}> {
  const port = await freePort();
  const adminToken = randomBytes(12).toString('hex');
  const output: string[] = [];
  const child: ChildProcess = spawn(
    process.execPath,
    ['-r', '@swc-node/register', 'services/platform-sim/src/main.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), SIM_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (c) => output.push(String(c)));
  child.stderr?.on('data', (c) => output.push(String(c)));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`platform-sim exited: ${output.join('')}`);
      const res = await fetch(`${url}/healthz`);
      if (!res.ok) throw new Error(`platform-sim answered ${res.status}`);
    }, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, control: platformSim({ baseUrl: url, adminToken }), stop };
}

export type { OutboxEvent } from '@prasar/testing';

export interface PublisherOptions {
  /** PUBLISHER_CREDENTIALS_KEYS. */
  keys?: string;
  /** Extra environment for the publisher's configuration. */
  env?: Record<string, string>;
}

export interface PublisherHarness {
  env: InfraEnv;
  sim: PlatformSim;
  simUrl: string;
  ds: DataSource;
  app: INestApplication;
  /** GraphQL endpoint and WhatsApp webhook of the running app. */
  url: string;
  webhookUrl: string;
  databaseUrl: string;
  appSecret: string;
  accounts: AccountsService;
  subscribers: SubscribersService;
  jobs: PublishJobs;
  worker: PublishWorker;
  engagement: EngagementPoller;
  /** Publications whose next attempt "crashes" between the platform call and its outcome. */
  crashAfterCall: Set<string>;
  /** Produces an event to this harness's copy of its area's topic; returns its id (`id` sends it again). */
  emit<Desc extends DescMessage>(schema: Desc, message: MessageInitShape<Desc>, id?: string): Promise<string>;
  /** Waits until the consumer reached a final outcome for an event id. */
  handled(eventId: string): Promise<Outcome>;
  /** Sends a PublishRequested over Kafka and waits until it was handled. */
  request(r: Request): Promise<void>;
  job(publicationId: string): Promise<PublishJob>;
  attempts(publicationId: string): Promise<PublishAttempt[]>;
  /** Events in the outbox, oldest first, optionally of one type (short name). */
  outbox(type?: string): Promise<OutboxEvent[]>;
  /** A superuser connection to the scratch database (sees through row-level security). */
  adminClient(): Promise<Client>;
  /** Stops the application (as a crash would, claims and all) and starts a new one on the same database. */
  restart(options?: PublisherOptions): Promise<void>;
  close(): Promise<void>;
}

/** A publication as the scheduler requests it. */
export interface Request {
  account: SocialAccount;
  text?: string;
  media?: { url: string; mimeType?: string; altText?: string }[];
  kind?: ContentKind;
  attempt?: number;
  publicationId?: string;
  contentId?: string;
}

export function requestMessage(r: Request): MessageInitShape<typeof PublishRequestedSchema> & {
  publicationId: string;
  contentId: string;
} {
  const publicationId = r.publicationId ?? randomUUID();
  const contentId = r.contentId ?? randomUUID();
  const platform = PbPlatform[r.account.platform];
  const snapshot: MessageInitShape<typeof ContentSnapshotSchema> = {
    contentId,
    departmentId: r.account.departmentId,
    version: 1,
    kind: r.kind ?? ContentKind.ACHIEVEMENT,
    priority: Priority.NORMAL,
    title: 'गेहूं उपार्जन',
    body: [{ language: Language.HI, text: r.text ?? `प्रदेश में रिकॉर्ड गेहूं उपार्जन ${randomUUID().slice(0, 8)}` }],
    hashtags: ['MPKisan'],
    media: (r.media ?? []).map((m, i) => ({
      id: `m${i}`,
      url: m.url,
      mimeType: m.mimeType ?? 'image/jpeg',
      altText: m.altText ?? 'किसान मंडी में गेहूं तौलते हुए',
      people: [],
    })),
    targetAccountIds: [r.account.id],
  };
  return {
    contentId,
    departmentId: r.account.departmentId,
    publicationId,
    accountId: r.account.id,
    platform,
    contentVersion: 1,
    attempt: r.attempt ?? 1,
    snapshot,
  };
}

export async function startPublisher(
  name: string,
  options: PublisherOptions = {},
): Promise<PublisherHarness> {
  process.env.LOG_LEVEL ??= 'warn';
  const env = readInfraEnv();
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const sim = await startPlatformSim();
    cleanups.push(() => sim.stop());
    const db = await scratchDatabase(`publisher_${name}`, env);
    cleanups.push(() => db.drop());
    await migrate(createServiceDataSource(publisherDataSourceOptions(db.url)));

    const run = randomUUID().slice(0, 8);
    const topic = `test.publisher.${run}.schedule`;
    const kafka: Kafka = createKafka(
      `publisher-test-${run}`,
      env.KAFKA_BROKERS.split(','),
      pino({ level: 'silent' }),
    );
    await createTopics(kafka, [topic], cleanups);
    const appSecret = randomBytes(16).toString('hex');

    const outcomes = new Map<string, Outcome>();
    const crashAfterCall = new Set<string>();
    // The key ring survives a restart unless the spec rotates it.
    let current: PublisherOptions = { ...options, keys: options.keys ?? `test:${key()}` };

    async function boot(o: PublisherOptions) {
      const config = loadConfig(publisherShape, {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: env.KAFKA_BROKERS,
        AUTH_JWKS_FILE: env.AUTH_JWKS_FILE,
        AUTH_ISSUER: env.AUTH_ISSUER,
        AUTH_AUDIENCE: env.AUTH_AUDIENCE,
        PUBLISHER_CREDENTIALS_KEYS: o.keys ?? current.keys!,
        X_API_BASE_URL: sim.url,
        META_GRAPH_BASE_URL: sim.url,
        WHATSAPP_BASE_URL: sim.url,
        WHATSAPP_APP_SECRET: appSecret,
        WHATSAPP_VERIFY_TOKEN: 'verify-prasar',
        PLATFORM_REQUEST_TIMEOUT_MS: '1500',
        PUBLISHER_RETRY_BASE_MS: '20',
        PUBLISHER_RETRY_MAX_MS: '200',
        INSTAGRAM_CONTAINER_POLL_MS: '10',
        X_MEDIA_STATUS_MAX_WAIT_MS: '10',
        ENGAGEMENT_POLL_INTERVAL_MS: '60000',
        ...o.env,
        // The simulator serves the specs' media on loopback: allowed, with whatever the spec adds.
        PUBLISHER_MEDIA_ALLOWED_HOSTS: [new URL(sim.url).host, o.env?.PUBLISHER_MEDIA_ALLOWED_HOSTS]
          .filter(Boolean)
          .join(','),
      });
      const moduleRef = await Test.createTestingModule({
        imports: [
          PublisherModule.forRoot({
            config,
            consume: {
              groupId: `test-publisher-${run}`,
              topics: [topic],
              maxAttempts: 3,
              initialBackoffMs: 20,
              maxBackoffMs: 200,
            },
            autoStart: false,
            afterCall: async (c: ClaimedJob) => {
              if (crashAfterCall.delete(c.job.publicationId))
                throw new Error('simulated crash after the platform call');
            },
          }),
        ],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false, rawBody: true });
      connectEventTransport(app);
      await app.init();
      await app.get(EventRuntime).relay.stop();
      await app.startAllMicroservices();
      const consumer = app.get(KafkaEventTransport).unwrap<EventConsumer>();
      consumer.onOutcome = (outcome, event) => {
        if (event.id) outcomes.set(event.id, outcome);
      };
      await consumer.waitForAssignment();
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as AddressInfo;
      return { app, port };
    }

    let booted = await boot(current);
    const stopApp = () => booted.app.close();
    cleanups.push(() => stopApp());

    let producer: Producer | undefined;
    const harness: PublisherHarness = {
      env,
      sim: sim.control,
      simUrl: sim.url,
      get ds() {
        return booted.app.get(DataSource);
      },
      get app() {
        return booted.app;
      },
      get url() {
        return `http://127.0.0.1:${booted.port}/graphql`;
      },
      get webhookUrl() {
        return `http://127.0.0.1:${booted.port}/webhooks/whatsapp`;
      },
      databaseUrl: db.url,
      appSecret,
      get accounts() {
        return booted.app.get(AccountsService);
      },
      get subscribers() {
        return booted.app.get(SubscribersService);
      },
      get jobs() {
        return booted.app.get(PublishJobs);
      },
      get worker() {
        return booted.app.get(PublishWorker);
      },
      get engagement() {
        return booted.app.get(EngagementPoller);
      },
      crashAfterCall,
      async emit(schema, message, eventId) {
        if (!producer) {
          const p = createIdempotentProducer(kafka);
          await p.connect();
          cleanups.push(() => p.disconnect());
          producer = p;
        }
        const type = eventTypeOf(schema);
        if (topicOfEventType(type) !== TOPICS.schedule)
          throw new Error(`the publisher does not consume ${type}`);
        const record = toEventRecord('/prasar/scheduler', { schema, message });
        // A test may replay an event under the id it already had (a redelivery).
        const id = eventId ?? record.id;
        await producer.send({
          topic,
          acks: -1,
          messages: [
            { key: record.key, value: record.value, headers: { ...record.headers, [HEADER.id]: id } },
          ],
        });
        return id;
      },
      handled(eventId) {
        return eventually(async () => {
          const outcome = outcomes.get(eventId);
          if (!outcome) throw new Error(`event ${eventId} not handled yet`);
          return outcome;
        }, 30_000);
      },
      async request(r) {
        const id = await harness.emit(PublishRequestedSchema, requestMessage(r));
        expectHandled(await harness.handled(id));
      },
      async job(publicationId) {
        return asPlatform(harness.ds, (em) => em.findOneByOrFail(PublishJob, { publicationId }));
      },
      async attempts(publicationId) {
        return asPlatform(harness.ds, (em) =>
          em.find(PublishAttempt, { where: { publicationId }, order: { attempt: 'ASC' } }),
        );
      },
      outbox(type) {
        return readOutbox(harness.ds, type);
      },
      adminClient() {
        return adminClientFor(db.name, env);
      },
      async restart(o = current) {
        current = { ...current, ...o };
        await booted.app.close();
        booted = await boot(o);
      },
      close,
    };
    return harness;
  } catch (err) {
    await close();
    throw err;
  }
}

function expectHandled(outcome: Outcome) {
  if (outcome !== 'handled' && outcome !== 'duplicate') throw new Error(`the request was ${outcome}`);
}

async function createTopics(kafka: Kafka, topics: string[], cleanups: (() => Promise<unknown>)[]) {
  const all = topics.flatMap((t) => [t, dlqTopicOf(t)]);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: all.map((t) => ({ topic: t, numPartitions: 2, replicationFactor: 1 })),
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

/** Connects an account as its department's admin would, after registering it in the simulator. */
export async function connect(
  h: PublisherHarness,
  platform: Platform,
  department: string,
  options: AccountOptions & { externalAccountId?: string; accessToken?: string; handle?: string } = {},
): Promise<SocialAccount> {
  const externalAccountId = options.externalAccountId ?? numericId();
  const accessToken = options.accessToken ?? `token-${randomUUID()}`;
  return h.accounts.connect(
    person('DEPT_ADMIN', department),
    {
      departmentId: departmentIdOf(department),
      platform,
      handle: options.handle ?? `@${department}-${platform.toLowerCase()}`,
      accessToken,
      externalAccountId,
    },
    options,
  );
}

/** A moment past every backoff and lease, for the worker's next round. */
export const later = () => new Date(Date.now() + 10 * 60_000);

/** The outcomes of a publication's attempts, in order. */
export async function outcomesOf(h: PublisherHarness, publicationId: string) {
  return (await h.attempts(publicationId)).map((a) => a.outcome);
}

/** Runs the worker until the publication no longer waits to be retried (bounded); its job. */
export async function settle(h: PublisherHarness, publicationId: string, rounds = 10) {
  for (let i = 0; i < rounds; i++) {
    const job = await h.job(publicationId);
    if (job.state !== 'PENDING' && job.state !== 'IN_FLIGHT') return job;
    await h.worker.runOnce(later());
  }
  return h.job(publicationId);
}

/** An X account registered in the simulator and connected to the department (with its refresh token, if any). */
export async function simXAccount(
  h: PublisherHarness,
  department: string,
  sim: Partial<SimXAccount> & { username: string },
  options: { handle?: string } = {},
) {
  const id = numericId();
  const accessToken = `x-at-${randomUUID()}`;
  await h.sim.registerXAccount({ id, accessToken, clientId: 'prasar-x-client', ...sim });
  const account = await connect(h, 'X', department, {
    externalAccountId: id,
    accessToken,
    ...options,
    ...(sim.refreshToken ? { refreshToken: sim.refreshToken, clientId: 'prasar-x-client' } : {}),
  });
  return { account, id, accessToken };
}

/** A Facebook page registered in the simulator and connected to the department. */
export async function simFacebookPage(h: PublisherHarness, department: string, name: string) {
  const id = numericId();
  const accessToken = `fb-${randomUUID()}`;
  await h.sim.registerFacebookPage({ id, name, accessToken });
  return { account: await connect(h, 'FACEBOOK', department, { externalAccountId: id, accessToken }), id };
}

/** An Instagram user registered in the simulator and connected to the department. */
export async function simInstagramUser(
  h: PublisherHarness,
  department: string,
  sim: Partial<SimInstagramUser> & { username: string },
) {
  const id = numericId();
  const accessToken = `ig-${randomUUID()}`;
  await h.sim.registerInstagramUser({ id, accessToken, ...sim });
  return { account: await connect(h, 'INSTAGRAM', department, { externalAccountId: id, accessToken }), id };
}

/** Builds a PublishRequested message (for specs that call the handler's code directly). */
export function publishRequested(r: Request) {
  return create(PublishRequestedSchema, requestMessage(r));
}
