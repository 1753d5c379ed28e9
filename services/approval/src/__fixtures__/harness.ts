// What approval's integration specs share: the service classes wired by Nest over a throwaway
// database on the real PostgreSQL (migrated with approval's own migrations), submissions as intake
// sends them, people with roles, and the events the outbox holds.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { create, type DescMessage, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { departmentIdOf, verifierOptionsFrom, type Principal, type Role } from '@prasar/auth';
import {
  ContentKind,
  ContentSubmittedSchema,
  ContentWithdrawnSchema,
  Language,
  Priority,
  decodeEvent,
  eventTypeOf,
  type ContentSnapshotSchema,
} from '@prasar/contracts';
import { EVENTING_OPTIONS, EventPublisher } from '@prasar/kafka';
import { asPlatform, createServiceDataSource, DataSource, migrate } from '@prasar/persistence';
import { subgraphModule } from '@prasar/graphql';
import { readInfraEnv, scratchDatabase } from '@prasar/testing';
import { ApprovalResolver, ContentApprovalResolver } from '../approval/approval.resolver';
import { ApprovalService } from '../approval/approval.service';
import { DecisionService } from '../approval/decision.service';
import { InboxService } from '../approval/inbox.service';
import { approvalDataSourceOptions } from '../data-source';
import { ESCALATION_OPTIONS, EscalationPoller } from '../sla/escalation.poller';
import { WorkflowResolver } from '../workflow/workflow.resolver';
import { WorkflowService } from '../workflow/workflow.service';

export const AGRI = 'agriculture';
export const HEALTH = 'health';

/** A person with roles in a department (no department: the state IT cell). */
export function person(subject: string, roles: Role[], department?: string): Principal {
  return {
    subject,
    name: `name of ${subject}`,
    roles,
    departmentCode: department,
    departmentId: department ? departmentIdOf(department) : undefined,
  };
}

export interface Submission {
  contentId?: string;
  department?: string;
  version?: number;
  kind?: ContentKind;
  priority?: Priority;
  /** The content's author (snapshot.created_by). */
  author?: string;
  /** Who submitted this version (the event's actor); the author by default. */
  submitter?: string;
  media?: MessageInitShape<typeof ContentSnapshotSchema>['media'];
}

export type Harness = Awaited<ReturnType<typeof approvalHarness>>;

/** A ContentSubmitted as intake emits it. */
export function submissionEvent(s: Submission = {}, at = new Date()) {
  const contentId = s.contentId ?? randomUUID();
  const department = s.department ?? AGRI;
  const departmentId = departmentIdOf(department);
  const author = s.author ?? `editor-${department}`;
  const submitter = s.submitter ?? author;
  return create(ContentSubmittedSchema, {
    contentId,
    departmentId,
    snapshot: {
      contentId,
      departmentId,
      version: s.version ?? 1,
      kind: s.kind ?? ContentKind.ACHIEVEMENT,
      priority: s.priority ?? Priority.NORMAL,
      title: 'गेहूं उपार्जन',
      body: [{ language: Language.HI, text: 'प्रदेश में रिकॉर्ड गेहूं उपार्जन 🌾' }],
      hashtags: ['MPKisan'],
      media: s.media ?? [],
      targetAccountIds: ['x-agriculture'],
      createdBy: { subject: author, name: `name of ${author}`, roles: ['DEPT_EDITOR'] },
      createdAt: timestampFromDate(at),
    },
    actor: { subject: submitter, name: `name of ${submitter}`, roles: ['DEPT_EDITOR'] },
    submittedAt: timestampFromDate(at),
  });
}

/**
 * The approval services on a fresh, migrated database; `close()` drops it. With `graphql`, the
 * subgraph is served too (real token verification) and `url` is its endpoint.
 */
export async function approvalHarness(
  prefix: string,
  options: { pollIntervalMs?: number; graphql?: boolean } = {},
) {
  const db = await scratchDatabase(prefix);
  const ds = createServiceDataSource({ ...approvalDataSourceOptions(db.url), poolSize: 20 });
  await ds.initialize();
  await migrate(ds);
  const moduleRef = await Test.createTestingModule({
    imports: options.graphql
      ? [
          subgraphModule({
            schemaPath: join(__dirname, '..', 'schema.graphql'),
            auth: verifierOptionsFrom(readInfraEnv()),
          }),
        ]
      : [],
    providers: [
      { provide: DataSource, useValue: ds },
      { provide: EVENTING_OPTIONS, useValue: { service: 'approval', brokers: [] } },
      { provide: ESCALATION_OPTIONS, useValue: { intervalMs: options.pollIntervalMs ?? 30_000 } },
      EventPublisher,
      WorkflowService,
      ApprovalService,
      DecisionService,
      InboxService,
      EscalationPoller,
      ...(options.graphql ? [WorkflowResolver, ApprovalResolver, ContentApprovalResolver] : []),
    ],
  }).compile();
  const extraSources: DataSource[] = [];
  let app: INestApplication | undefined;
  let url = '';
  if (options.graphql) {
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = `${await app.getUrl()}/graphql`;
  }

  const harness = {
    db,
    ds,
    moduleRef,
    url,
    approvals: moduleRef.get(ApprovalService),
    decisions: moduleRef.get(DecisionService),
    inbox: moduleRef.get(InboxService),
    workflows: moduleRef.get(WorkflowService),
    poller: moduleRef.get(EscalationPoller),

    /** Another connection pool on the same database (a second replica). */
    async secondDataSource(): Promise<DataSource> {
      const other = createServiceDataSource({ ...approvalDataSourceOptions(db.url), poolSize: 5 });
      await other.initialize();
      extraSources.push(other);
      return other;
    },

    /** Delivers a ContentSubmitted as intake emits it, the way the consumer runs handlers. */
    async submit(s: Submission = {}, at = new Date()) {
      const event = submissionEvent(s, at);
      const approval = await asPlatform(ds, (em) => harness.approvals.open(em, event, at));
      return { contentId: event.contentId, departmentId: event.departmentId, event, approval };
    },

    /** Delivers a ContentWithdrawn. */
    async withdraw(contentId: string, department = AGRI, by = `editor-${department}`) {
      const event = create(ContentWithdrawnSchema, {
        contentId,
        departmentId: departmentIdOf(department),
        version: 1,
        actor: { subject: by, name: by, roles: ['DEPT_EDITOR'] },
        reason: 'The event was postponed',
      });
      return asPlatform(ds, (em) => harness.approvals.withdraw(em, event));
    },

    /** The events of one schema that the outbox holds for a content item, in order. */
    async events<Desc extends DescMessage>(schema: Desc, contentId: string): Promise<MessageShape<Desc>[]> {
      const rows = (await ds.query(
        `SELECT payload FROM prasar_outbox WHERE type = $1 AND key = $2 ORDER BY seq`,
        [eventTypeOf(schema), contentId],
      )) as { payload: Buffer }[];
      return rows.map((r) => decodeEvent(eventTypeOf(schema), r.payload).message as MessageShape<Desc>);
    },

    /** Reads as the platform (row-level security shows a bare connection nothing). */
    sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
      return asPlatform(ds, (em) => em.query(query, params));
    },

    async close() {
      await app?.close();
      await harness.poller.stop();
      for (const other of extraSources) await other.destroy();
      await ds.destroy();
      await db.drop();
    },
  };
  return harness;
}

/** The contract error code of a rejected promise. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as { code?: string }).code ?? `unexpected: ${String(err)}`;
  }
  return 'no error';
}
