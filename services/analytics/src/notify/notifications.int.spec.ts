// Notifications through the real path: events on a real Kafka topic into the analytics consumer
// (batch mode, as deployed), recorded in a scratch PostgreSQL database, mailed over SMTP to the
// local Mailpit, whose HTTP API tells what arrived.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Partitioners, type Kafka } from 'kafkajs';
import pino from 'pino';
import { departmentIdOf, verifierOptionsFrom, type Principal } from '@prasar/auth';
import {
  ApprovalOpenedSchema,
  ContentApprovedSchema,
  ContentCreatedSchema,
  ContentKind,
  PublicationPublishedSchema,
  ApprovalEscalatedSchema,
  BlackoutDeclaredSchema,
  BlackoutEndedSchema,
  dlqTopicOf,
  Platform,
  PublicationFailedSchema,
} from '@prasar/contracts';
import {
  connectEventTransport,
  createKafka,
  EventingModule,
  EventRuntime,
  toEventRecord,
} from '@prasar/kafka';
import {
  asPlatform,
  createServiceDataSource,
  migrate,
  PersistenceModule,
  DataSource,
} from '@prasar/persistence';
import { subgraphModule } from '@prasar/graphql';
import { eventually, gql, readInfraEnv, scratchDatabase, tokenFor } from '@prasar/testing';
import { analyticsDataSourceOptions } from '../data-source';
import { AnalyticsEventsHandler } from '../ingest/events.handler';
import { IngestService } from '../ingest/ingest.service';
import { DEFAULT_PRICES, PRICE_LIST } from '../pricing';
import { Mailer, MAILER_OPTIONS } from './mailer';
import { NotificationContactsResolver, NotificationsResolver } from './notifications.resolver';
import { IT_CELL, NotificationsService } from './notifications.service';
import { NotifyClock } from './notify-clock';
import { NotifyEvents } from './notify-events';

const env = readInfraEnv();
// infra up writes both; a run of an older infra script may have rewritten env.json without them.
const SMTP_URL = env.SMTP_URL ?? 'smtp://127.0.0.1:11025';
const MAILPIT = env.MAILPIT_API_URL ?? 'http://127.0.0.1:18025';

interface MailpitSummary {
  ID: string;
  MessageID: string;
  Subject: string;
  To: { Address: string }[];
}

/** Every message Mailpit holds for an address. */
async function mailsTo(address: string): Promise<MailpitSummary[]> {
  const res = await fetch(
    `${MAILPIT}/api/v1/search?limit=200&query=${encodeURIComponent(`to:"${address}"`)}`,
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: MailpitSummary[] }).messages;
}

async function mailText(id: string): Promise<string> {
  const res = await fetch(`${MAILPIT}/api/v1/message/${id}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { Text: string }).Text;
}

describe('notifications through Kafka, PostgreSQL and Mailpit', () => {
  const run = randomUUID().slice(0, 8);
  const topic = `test.notify.${run}`;
  const A = departmentIdOf(`notify-a-${run}`);
  const B = departmentIdOf(`notify-b-${run}`);
  const who = (dept: string, code: string, roles: Principal['roles']): Principal => ({
    subject: `${roles[0]}-${code}-${run}`,
    name: roles[0],
    roles,
    departmentCode: `notify-${code}-${run}`,
    departmentId: dept,
  });
  const adminA = who(A, 'a', ['DEPT_ADMIN']);
  const approverA = who(A, 'a', ['DEPT_APPROVER']);
  const editorA = who(A, 'a', ['DEPT_EDITOR']);
  const approverB = who(B, 'b', ['DEPT_APPROVER']);
  const itCell: Principal = { subject: `it-${run}`, name: 'IT', roles: ['IT_CELL_ADMIN'] };
  const contactsA = [`a1-${run}@dept-a.example`, `a2-${run}@dept-a.example`];
  const contactB = `b1-${run}@dept-b.example`;
  const contactIt = `itcell-${run}@itcell.example`;

  let kafka: Kafka;
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let app: INestApplication;
  let notifications: NotificationsService;
  let url: string;

  async function produce(...records: ReturnType<typeof toEventRecord>[]) {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
      });
    } finally {
      await producer.disconnect();
    }
  }
  const record = <D extends DescMessage>(schema: D, message: MessageInitShape<D>) =>
    toEventRecord('/prasar/test', { schema, message: create(schema, message) });

  /** The notifications the event handlers recorded, read as the platform. */
  const stored = (key: string) =>
    asPlatform(app.get(DataSource), (em) =>
      em.query(`SELECT department_id, audience_role FROM notifications WHERE event_key = $1 ORDER BY 1, 2`, [
        key,
      ]),
    );

  beforeAll(async () => {
    kafka = createKafka(`test-notify-${run}`, env.KAFKA_BROKERS.split(','), pino({ level: 'silent' }));
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [topic, dlqTopicOf(topic)].map((t) => ({ topic: t, numPartitions: 3, replicationFactor: 1 })),
    });
    await admin.disconnect();
    db = await scratchDatabase('analytics_notify');
    const ds = createServiceDataSource(analyticsDataSourceOptions(db.url));
    await ds.initialize();
    await migrate(ds);
    await ds.destroy();
    const moduleRef = await Test.createTestingModule({
      imports: [
        PersistenceModule.forRoot(analyticsDataSourceOptions(db.url)),
        EventingModule.forRoot({
          service: 'analytics',
          brokers: env.KAFKA_BROKERS.split(','),
          consume: { groupId: `test-notify-${run}`, topics: [topic], transactionBatchSize: 1000 },
        }),
        subgraphModule({
          schemaPath: join(__dirname, '..', 'schema.graphql'),
          auth: verifierOptionsFrom(env),
        }),
      ],
      controllers: [AnalyticsEventsHandler],
      providers: [
        { provide: PRICE_LIST, useValue: DEFAULT_PRICES },
        IngestService,
        NotificationsService,
        NotifyEvents,
        {
          provide: MAILER_OPTIONS,
          useValue: { smtpUrl: SMTP_URL, from: 'Prasar <n@prasar.test>', intervalMs: 200 },
        },
        Mailer,
        NotificationsResolver,
        NotificationContactsResolver,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    connectEventTransport(app);
    await app.listen(0, '127.0.0.1');
    url = `${await app.getUrl()}/graphql`;
    await app.get(EventRuntime).relay.stop();
    await app.startAllMicroservices();
    notifications = app.get(NotificationsService);
    await notifications.setContacts(adminA, A, [...contactsA, contactsA[0].toUpperCase()]);
    await notifications.setContacts(itCell, B, [contactB]);
    await notifications.setContacts(itCell, IT_CELL, [contactIt]);
  }, 90_000);

  afterAll(async () => {
    await app?.close();
    const admin = kafka?.admin();
    await admin?.connect();
    await admin?.deleteTopics({ topics: [topic, dlqTopicOf(topic)] }).catch(() => undefined);
    await admin?.disconnect();
    await db?.drop();
  });

  const publicationA = randomUUID();
  const contentA = randomUUID();

  it('mails a failed publication once to the department’s contacts, in Hindi then English, even when redelivered', async () => {
    const failed = record(PublicationFailedSchema, {
      contentId: contentA,
      departmentId: A,
      publicationId: publicationA,
      accountId: randomUUID(),
      platform: Platform.FACEBOOK,
      contentVersion: 1,
      attempt: 3,
      reason: 'The platform refused the post',
      permanent: true,
    });
    // The same event twice (at-least-once Kafka), then a second failure event for the same target.
    const again = record(PublicationFailedSchema, {
      contentId: contentA,
      departmentId: A,
      publicationId: publicationA,
      accountId: randomUUID(),
      platform: Platform.FACEBOOK,
      contentVersion: 1,
      attempt: 4,
      reason: 'The platform refused the post',
      permanent: true,
    });
    // A retryable failure is not news, and department B's failure goes to B only.
    const retryable = record(PublicationFailedSchema, {
      contentId: contentA,
      departmentId: A,
      publicationId: randomUUID(),
      platform: Platform.X,
      reason: 'rate limited',
      permanent: false,
    });
    const failedB = record(PublicationFailedSchema, {
      contentId: randomUUID(),
      departmentId: B,
      publicationId: randomUUID(),
      platform: Platform.X,
      reason: 'duplicate',
      permanent: true,
    });
    await produce(failed, failed, retryable, failedB);
    await produce(again, failed);

    const mails = await eventually(async () => {
      const m = await mailsTo(contactsA[0]);
      expect(m.length).toBeGreaterThanOrEqual(1);
      return m;
    }, 30_000);
    await eventually(async () => expect((await mailsTo(contactB)).length).toBe(1), 30_000);
    // Give the redelivered events every chance to (wrongly) make a second mail.
    await new Promise((r) => setTimeout(r, 2000));
    const toA = await mailsTo(contactsA[0]);
    expect(toA).toHaveLength(1);
    expect(mails[0].ID).toBe(toA[0].ID);
    expect(toA[0].To.map((t) => t.Address).sort()).toEqual([...contactsA].sort());
    expect(toA[0].Subject).toBe('प्रकाशन विफल: फ़ेसबुक / Publication failed: FACEBOOK');
    const text = await mailText(toA[0].ID);
    expect(text.indexOf('प्रकाशन विफल')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('प्रकाशन विफल')).toBeLessThan(text.indexOf('Publication failed'));
    expect(text).toContain(publicationA);
    expect(text).toContain('The platform refused the post');
    // The Message-ID is the notification's id: a resend after a crash is recognisably the same mail.
    const [row] = await stored(`publication-failed:${publicationA}`);
    expect(row).toEqual({ department_id: A, audience_role: '' });
    expect(toA[0].MessageID).toMatch(/^[0-9a-f-]{36}@notifications\.prasar$/);
    // B's contact got B's failure only.
    expect((await mailsTo(contactB))[0].Subject).toContain('Publication failed: X');
  }, 60_000);

  it('tells the approvers of an overdue stage, escalates to the department admin and the IT cell', async () => {
    const approvalId = randomUUID();
    const escalated = record(ApprovalEscalatedSchema, {
      contentId: contentA,
      departmentId: A,
      approvalId,
      contentVersion: 1,
      stageIndex: 0,
      role: 'DEPT_APPROVER',
      dueAt: timestampFromDate(new Date(Date.now() - 60_000)),
    });
    await produce(escalated, escalated);
    await eventually(async () => {
      const subjects = (await mailsTo(contactsA[0])).map((m) => m.Subject);
      expect(subjects.filter((s) => s.includes('Approval past its deadline'))).toHaveLength(1);
      expect((await mailsTo(contactIt)).filter((m) => m.Subject.includes(contentA))).toHaveLength(1);
    }, 30_000);
    expect(await stored(`approval-sla-passed:${approvalId}:0`)).toEqual([
      { department_id: IT_CELL, audience_role: '' },
      { department_id: A, audience_role: 'DEPT_ADMIN' },
      { department_id: A, audience_role: 'DEPT_APPROVER' },
    ]);
    const kinds = async (p: Principal) => (await notifications.list(p, 50)).edges.map((e) => e.node.kind);
    expect(await kinds(approverA)).toContain('APPROVAL_SLA_PASSED');
    expect(await kinds(adminA)).toContain('APPROVAL_SLA_PASSED');
    expect(await kinds(itCell)).toContain('APPROVAL_SLA_PASSED');
    // The editor is not an approver of the stage; department B hears nothing of A's approval.
    expect(await kinds(editorA)).not.toContain('APPROVAL_SLA_PASSED');
    expect(await kinds(approverB)).not.toContain('APPROVAL_SLA_PASSED');
  }, 60_000);

  it('tells every department and the IT cell when a blackout starts', async () => {
    const blackoutId = randomUUID();
    const declared = record(BlackoutDeclaredSchema, {
      blackoutId,
      regions: ['Bhopal'],
      startsAt: timestampFromDate(new Date(Date.now() - 1000)),
      endsAt: timestampFromDate(new Date(Date.now() + 86_400_000)),
      reason: `By-election ${run}`,
    });
    await produce(declared, declared);
    await eventually(async () => {
      for (const to of [contactsA[0], contactB, contactIt]) {
        const m = (await mailsTo(to)).filter((x) => x.Subject.includes('Blackout started: Bhopal'));
        expect(m).toHaveLength(1);
      }
    }, 30_000);
    const text = await mailText((await mailsTo(contactB)).find((m) => m.Subject.includes('Blackout'))!.ID);
    expect(text).toContain('आचार संहिता');
    expect(text).toContain(`By-election ${run}`);
  }, 60_000);

  it('lists each person’s notifications, newest first, paged, scoped to their department, and marks them read', async () => {
    const listA = await notifications.list(approverA, 50);
    expect(listA.edges.map((e) => e.node.kind)).toEqual([
      'BLACKOUT_STARTED',
      'APPROVAL_SLA_PASSED',
      'PUBLICATION_FAILED',
    ]);
    expect(listA.edges.every((e) => e.node.departmentId === A)).toBe(true);
    expect(listA.unreadCount).toBe(3);
    const listB = await notifications.list(approverB, 50);
    expect(listB.edges.map((e) => e.node.kind)).toEqual(['BLACKOUT_STARTED', 'PUBLICATION_FAILED']);
    expect(listB.edges.every((e) => e.node.departmentId === B)).toBe(true);

    // Page by page with the cursor.
    const first = await notifications.list(approverA, 2);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await notifications.list(approverA, 2, first.pageInfo.endCursor);
    expect([...first.edges, ...second.edges].map((e) => e.node.id)).toEqual(
      listA.edges.map((e) => e.node.id),
    );
    expect(second.pageInfo.hasNextPage).toBe(false);

    // Another department's notification is NOT_FOUND, exactly like a missing one, and changes nothing.
    const failedA = listA.edges[2].node;
    await expect(notifications.markRead(approverB, failedA.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(notifications.markRead(approverA, randomUUID())).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const read = await notifications.markRead(approverA, failedA.id);
    expect(read.readAt).toBeInstanceOf(Date);
    expect((await notifications.markRead(approverA, failedA.id)).readAt).toEqual(read.readAt);
    expect((await notifications.list(approverA, 50)).unreadCount).toBe(2);
    // Read is per person: the department admin still has it unread.
    const adminList = await notifications.list(adminA, 50);
    expect(adminList.edges.find((e) => e.node.id === failedA.id)?.node.readAt).toBeNull();
  });

  it('refuses bad contact addresses and callers who may not set them, changing nothing', async () => {
    await expect(notifications.setContacts(adminA, A, ['not-an-address'])).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      violations: [{ field: 'emails.0', rule: 'email', message: 'Not an email address' }],
    });
    await expect(notifications.setContacts(editorA, A, [`x-${run}@a.example`])).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(notifications.setContacts(adminA, B, [`x-${run}@a.example`])).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(notifications.setContacts(adminA, IT_CELL, [`x-${run}@a.example`])).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(notifications.list(approverA, 0)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(notifications.list(approverA, 5, 'garbage')).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect(await notifications.contacts(adminA, A)).toEqual(contactsA);
    expect(await notifications.contacts(itCell, B)).toEqual([contactB]);
  });

  it('serves the list, marking read and the contacts through GraphQL with the contract’s error codes', async () => {
    const token = (p: Principal) =>
      tokenFor({ subject: p.subject, roles: p.roles, department: p.departmentCode }, env);
    const list = `query($first: Int, $after: String) {
      notifications(first: $first, after: $after) {
        unreadCount pageInfo { hasNextPage endCursor }
        edges { cursor node { id kind role department { id } subjectHi subjectEn bodyHi bodyEn createdAt readAt read } }
      }
    }`;
    type List = {
      notifications: {
        unreadCount: number;
        edges: {
          node: {
            id: string;
            kind: string;
            role: string | null;
            department: { id: string } | null;
            read: boolean;
          };
        }[];
      };
    };
    const adminList = await gql<List>(url, list, { first: 10 }, await token(adminA));
    expect(adminList.errors).toBeUndefined();
    const nodes = adminList.data!.notifications.edges.map((e) => e.node);
    expect(nodes.map((n) => [n.kind, n.role])).toEqual([
      ['BLACKOUT_STARTED', null],
      ['APPROVAL_SLA_PASSED', 'DEPT_ADMIN'],
      ['PUBLICATION_FAILED', null],
    ]);
    expect(nodes.every((n) => n.department?.id === A && !n.read)).toBe(true);
    const itList = await gql<List>(url, list, { first: 10 }, await token(itCell));
    expect(itList.data!.notifications.edges.every((e) => e.node.department === null)).toBe(true);
    expect(itList.data!.notifications.edges.map((e) => e.node.kind).sort()).toEqual([
      'APPROVAL_SLA_PASSED',
      'BLACKOUT_STARTED',
    ]);

    const mark = `mutation($id: ID!) { markNotificationRead(id: $id) { id read readAt } }`;
    const marked = await gql<{ markNotificationRead: { read: boolean } }>(
      url,
      mark,
      { id: nodes[0].id },
      await token(adminA),
    );
    expect(marked.data?.markNotificationRead.read).toBe(true);
    const foreign = await gql(url, mark, { id: nodes[0].id }, await token(approverB));
    expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(foreign.errors?.[0].message).not.toMatch(/at .*\.ts/);
    const bad = await gql(url, list, { first: 1000 }, await token(adminA));
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const anonymous = await gql(url, list, { first: 1 });
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    const setContacts = `mutation($d: ID!, $e: [String!]!) {
      setDepartmentContacts(departmentId: $d, emails: $e) { department { id } emails }
    }`;
    const newA = `new-${run}@dept-a.example`;
    const set = await gql<{ setDepartmentContacts: { department: { id: string }; emails: string[] } }>(
      url,
      setContacts,
      { d: A, e: [newA] },
      await token(adminA),
    );
    expect(set.errors).toBeUndefined();
    expect(set.data?.setDepartmentContacts).toEqual({ department: { id: A }, emails: [newA] });
    const refused = await gql(url, setContacts, { d: A, e: ['x@'] }, await token(adminA));
    expect(refused.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0].extensions?.violations).toEqual([
      { field: 'emails.0', rule: 'email', message: 'Not an email address' },
    ]);
    const itSet = await gql<{ setItCellContacts: { department: null; emails: string[] } }>(
      url,
      `mutation($e: [String!]!) { setItCellContacts(emails: $e) { department { id } emails } }`,
      { e: [contactIt] },
      await token(itCell),
    );
    expect(itSet.data?.setItCellContacts).toEqual({ department: null, emails: [contactIt] });
    const read = await gql<{ notificationContacts: { emails: string[] } }>(
      url,
      `query($d: ID) { notificationContacts(departmentId: $d) { emails } }`,
      { d: A },
      await token(editorA),
    );
    expect(read.data?.notificationContacts.emails).toEqual([newA]);
  });

  describe('the clock', () => {
    let clock: NotifyClock;
    const kinds = async (p: Principal) => (await notifications.list(p, 100)).edges.map((e) => e.node.kind);
    const count = (list: string[], kind: string) => list.filter((k) => k === kind).length;

    beforeAll(() => {
      clock = new NotifyClock(app.get(DataSource), notifications, app.get(NotifyEvents), {
        intervalMs: 60_000,
      });
    });

    it('reminds a department without an achievement at 17:00 IST and tells the IT cell at 18:00, once each', async () => {
      // Department B published an achievement on 20 November 2026 (IST); department A did not.
      const content = randomUUID();
      await produce(
        record(ContentCreatedSchema, {
          contentId: content,
          departmentId: B,
          snapshot: {
            contentId: content,
            departmentId: B,
            version: 1,
            kind: ContentKind.ACHIEVEMENT,
            title: 'Wells',
          },
        }),
        record(PublicationPublishedSchema, {
          contentId: content,
          departmentId: B,
          publicationId: randomUUID(),
          accountId: randomUUID(),
          platform: Platform.X,
          contentVersion: 1,
          attempt: 1,
          externalId: `x-${run}`,
          publishedAt: timestampFromDate(new Date('2026-11-20T04:30:00Z')), // 10:00 IST
        }),
      );
      const ds = app.get(DataSource);
      await eventually(async () => {
        const [{ n }] = await asPlatform(ds, (em) =>
          em.query(
            `SELECT count(*)::int AS n FROM daily_facts WHERE department_id = $1 AND day = '2026-11-20'`,
            [B],
          ),
        );
        expect(n).toBe(1);
      }, 30_000);

      expect(await clock.achievements(new Date('2026-11-20T11:29:00Z'))).toBe(0); // 16:59 IST
      expect(await clock.achievements(new Date('2026-11-20T11:30:00Z'))).toBe(1); // 17:00 IST: A only
      expect(await clock.achievements(new Date('2026-11-20T12:10:00Z'))).toBe(0); // 17:40: already told
      expect(await clock.achievements(new Date('2026-11-20T12:30:00Z'))).toBe(1); // 18:00: the IT cell
      expect(await clock.achievements(new Date('2026-11-20T18:00:00Z'))).toBe(0); // 23:30: nothing new
      expect(count(await kinds(editorA), 'ACHIEVEMENT_REMINDER')).toBe(1);
      expect(count(await kinds(approverB), 'ACHIEVEMENT_REMINDER')).toBe(0);
      const told = (await notifications.list(itCell, 100)).edges.filter(
        (e) => e.node.kind === 'ACHIEVEMENT_MISSING',
      );
      expect(told.map((e) => e.node.about)).toEqual([{ day: '2026-11-20', departmentId: A }]);
      await eventually(async () => {
        const reminders = (await mailsTo(`new-${run}@dept-a.example`)).filter((m) =>
          m.Subject.includes('Reminder'),
        );
        expect(reminders).toHaveLength(1);
      }, 30_000);
    }, 60_000);

    it('tells the approvers of a stage at 80 % of its SLA, once, and not for a closed approval', async () => {
      const opened = new Date('2026-11-21T04:30:00Z');
      const due = new Date(opened.getTime() + 4 * 3_600_000);
      // Keyed by content id as the approval service keys them: one content's events stay in order.
      const open = (approvalId: string, contentId: string) =>
        record(ApprovalOpenedSchema, {
          contentId,
          departmentId: A,
          approvalId,
          contentVersion: 1,
          stages: [
            { role: 'DEPT_APPROVER', requiredApprovals: 1, dueAt: timestampFromDate(due) },
            { role: 'MINISTER_OFFICE', requiredApprovals: 1 },
          ],
          openedAt: timestampFromDate(opened),
        });
      const pending = randomUUID();
      const done = randomUUID();
      const doneContent = randomUUID();
      await produce(
        open(pending, randomUUID()),
        open(done, doneContent),
        record(ContentApprovedSchema, { contentId: doneContent, departmentId: A, approvalId: done }),
      );
      const ds = app.get(DataSource);
      await eventually(async () => {
        const rows = await asPlatform(ds, (em) =>
          em.query(
            `SELECT approval_id, closed FROM approval_stage_watch WHERE stage_index = 0 AND approval_id = ANY($1)`,
            [[pending, done]],
          ),
        );
        expect(rows).toHaveLength(2);
        expect(rows.find((r: { approval_id: string }) => r.approval_id === done).closed).toBe(true);
      }, 30_000);
      const at = (hours: number) => new Date(opened.getTime() + hours * 3_600_000);
      expect(await clock.approvalsNearSla(at(3.1))).toBe(0); // 77 %
      expect(await clock.approvalsNearSla(at(3.3))).toBe(1); // 82 %: only the pending approval
      expect(await clock.approvalsNearSla(at(3.9))).toBe(0); // told already
      expect(await clock.approvalsNearSla(at(4.5))).toBe(0); // past due: the escalation's business
      const near = (await notifications.list(approverA, 100)).edges.filter(
        (e) => e.node.kind === 'APPROVAL_SLA_NEAR',
      );
      expect(near.map((e) => e.node.about)).toEqual([
        { approvalId: pending, contentId: expect.any(String), stageIndex: 0 },
      ]);
      expect(count(await kinds(editorA), 'APPROVAL_SLA_NEAR')).toBe(0);
    }, 60_000);

    it('tells of a blackout declared ahead when its start comes, and of its end', async () => {
      const blackoutId = randomUUID();
      const startsAt = new Date(Date.now() + 3_600_000);
      await produce(
        record(BlackoutDeclaredSchema, {
          blackoutId,
          regions: [],
          startsAt: timestampFromDate(startsAt),
          endsAt: timestampFromDate(new Date(startsAt.getTime() + 3_600_000)),
          reason: `Assembly ${run}`,
        }),
      );
      await eventually(async () => {
        const [{ n }] = await asPlatform(app.get(DataSource), (em) =>
          em.query(`SELECT count(*)::int AS n FROM blackout_windows WHERE blackout_id = $1`, [blackoutId]),
        );
        expect(n).toBe(1);
      }, 30_000);
      const started = () => kinds(approverB).then((k) => count(k, 'BLACKOUT_STARTED'));
      expect(await started()).toBe(1); // the earlier test's window only
      expect(await clock.blackoutsStarted(new Date())).toBe(0);
      expect(await clock.blackoutsStarted(new Date(startsAt.getTime() + 1000))).toBe(1);
      expect(await clock.blackoutsStarted(new Date(startsAt.getTime() + 2000))).toBe(0);
      expect(await started()).toBe(2);
      await produce(record(BlackoutEndedSchema, { blackoutId, endedAt: timestampFromDate(new Date()) }));
      await eventually(async () => {
        const ended = (await mailsTo(contactB)).filter((m) => m.Subject.includes('Blackout ended: state'));
        expect(ended).toHaveLength(1);
      }, 30_000);
    }, 60_000);
  });

  it('keeps a mail the SMTP server did not take and sends it on a later attempt, with the same Message-ID', async () => {
    const mailer = app.get(Mailer);
    await mailer.stop(); // this test drives the rounds itself
    const ds = app.get(DataSource);
    const down = new Mailer(ds, {
      smtpUrl: 'smtp://127.0.0.1:1',
      from: 'Prasar <n@prasar.test>',
      intervalMs: 60_000,
    });
    const key = `test-retry:${run}`;
    await asPlatform(ds, (em) =>
      notifications.notify(em, {
        key,
        kind: 'ACCOUNT_NEEDS_REAUTH',
        departmentId: B,
        email: true,
        message: { subjectHi: `पुनः ${run}`, subjectEn: `Retry ${run}`, bodyHi: 'हिंदी', bodyEn: 'English' },
        about: {},
      }),
    );
    expect(await down.deliver()).toBe(0);
    const outbox = () =>
      asPlatform(ds, (em) =>
        em.query(
          `SELECT e.attempts, e.sent_at, e.last_error, e.next_attempt_at > now() AS waiting, e.message_id
             FROM notification_emails e JOIN notifications n ON n.id = e.notification_id WHERE n.event_key = $1`,
          [key],
        ),
      );
    const [failed] = await outbox();
    expect(failed).toMatchObject({ attempts: 1, sent_at: null, waiting: true });
    expect(failed.last_error).toMatch(/ECONNREFUSED/);
    expect(await mailer.deliver()).toBe(0); // not due yet
    await asPlatform(ds, (em) =>
      em.query(
        `UPDATE notification_emails SET next_attempt_at = now()
          WHERE notification_id = (SELECT id FROM notifications WHERE event_key = $1)`,
        [key],
      ),
    );
    expect(await mailer.deliver()).toBe(1);
    const [sent] = await outbox();
    expect(sent.sent_at).toBeInstanceOf(Date);
    expect(sent.last_error).toBeNull();
    const arrived = (await mailsTo(contactB)).filter((m) => m.Subject.includes(`Retry ${run}`));
    expect(arrived).toHaveLength(1);
    expect(`<${arrived[0].MessageID}>`).toBe(sent.message_id);
    expect(await mailer.deliver()).toBe(0); // sent once
  }, 60_000);
});
