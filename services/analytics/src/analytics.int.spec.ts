// Analytics against the real database: a scenario of events whose right answers are computed here,
// independently of the service (days in Asia/Kolkata by Intl, percentiles by hand), replayed to
// prove the numbers do not move, and the records export over HTTP with its tenancy.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { create } from '@bufbuild/protobuf';
import { DataSource as TypeOrmDataSource } from 'typeorm';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { departmentIdOf, TokenVerifier, type Principal } from '@prasar/auth';
import {
  ApprovalEscalatedSchema,
  ChangesRequestedSchema,
  ContentApprovedSchema,
  ContentCreatedSchema,
  ContentKind,
  ContentRejectedSchema,
  ContentSubmittedSchema,
  ContentUpdatedSchema,
  EngagementSnapshotSchema,
  Platform as PbPlatform,
  PublicationPublishedSchema,
  PublishRequestedSchema,
} from '@prasar/contracts';
import { asPlatform, createServiceDataSource, migrate, type DataSource } from '@prasar/persistence';
import { withDeferred } from '@prasar/kafka';
import { readInfraEnv, tokenFor } from '@prasar/testing';
import { analyticsDataSourceOptions } from './data-source';
import { RecordsController, RECORDS_VERIFIER } from './export/records.controller';
import { RecordsService } from './export/records.service';
import { IngestService, type EventMeta } from './ingest/ingest.service';
import { DEFAULT_PRICES, type PriceList } from './pricing';
import { AnalyticsService, MAX_SCORECARD_MS } from './read/analytics.service';

type Kind = keyof typeof ContentKind;
type Plat = 'X' | 'FACEBOOK' | 'INSTAGRAM' | 'WHATSAPP';

/** The Asia/Kolkata date of an instant, by Intl (not by the service's offset arithmetic). */
const istDay = (at: Date) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Kolkata',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);

/** percentile_cont by hand: linear interpolation between the closest ranks. */
function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

const T = (iso: string) => new Date(iso);
const minutes = (a: string, b: string) => (T(b).getTime() - T(a).getTime()) / 60_000;

describe('analytics against the real database', () => {
  let ds: DataSource;
  let ingest: IngestService;
  let analytics: AnalyticsService;
  let app: INestApplication;
  let baseUrl: string;
  const run = randomUUID().slice(0, 8);
  const codeA = `ana-a-${run}`;
  const codeB = `ana-b-${run}`;
  const codeC = `ana-c-${run}`;
  const A = departmentIdOf(codeA);
  const B = departmentIdOf(codeB);
  const C = departmentIdOf(codeC);
  const prices: PriceList = {
    ...DEFAULT_PRICES,
    currency: 'INR',
    xPost: 1.5,
    xLinkPost: 4,
    facebookPost: 0.25,
  };
  const editorA: Principal = {
    subject: `ed-${run}`,
    name: 'Ed',
    roles: ['DEPT_EDITOR'],
    departmentCode: codeA,
    departmentId: A,
  };
  const editorB: Principal = {
    subject: `edb-${run}`,
    name: 'EdB',
    roles: ['DEPT_EDITOR'],
    departmentCode: codeB,
    departmentId: B,
  };
  const itCell: Principal = { subject: `it-${run}`, name: 'IT', roles: ['IT_CELL_ADMIN'] };

  // The period: three Asia/Kolkata days, 10–12 March 2026.
  const from = T('2026-03-09T18:30:00Z');
  const to = T('2026-03-12T18:30:00Z');

  interface Pub {
    id: string;
    dept: string;
    content: string;
    kind: Kind;
    platform: Plat;
    link: boolean;
    at: string;
    engagement?: {
      impressions: number;
      reach: number;
      likes: number;
      shares: number;
      comments: number;
      clicks: number;
      videoViews: number;
    };
  }
  const content = {
    c1: randomUUID(), // achievement, approved after 30 minutes
    c2: randomUUID(), // scheme with a link, approved after 18 hours
    c3: randomUUID(), // order, rejected after 2 hours
    c4: randomUUID(), // achievement, changes requested, resubmitted, approved 45 minutes later
    c5: randomUUID(), // order approved at once; intake's clock ran 1 s ahead of approval's
    b1: randomUUID(), // department B's achievement
    k1: randomUUID(), // department C's order: no achievement at all
  };
  const kinds: Record<string, { dept: string; kind: Kind; link: boolean }> = {
    [content.c1]: { dept: A, kind: 'ACHIEVEMENT', link: false },
    [content.c2]: { dept: A, kind: 'SCHEME', link: true },
    [content.c3]: { dept: A, kind: 'ORDER', link: false },
    [content.c4]: { dept: A, kind: 'ACHIEVEMENT', link: false },
    [content.c5]: { dept: A, kind: 'ORDER', link: false },
    [content.b1]: { dept: B, kind: 'ACHIEVEMENT', link: false },
    [content.k1]: { dept: C, kind: 'ORDER', link: false },
  };
  const eng = (impressions: number, likes: number, shares: number, comments: number, clicks: number) => ({
    impressions,
    reach: Math.floor(impressions * 0.8),
    likes,
    shares,
    comments,
    clicks,
    videoViews: impressions > 300 ? 40 : 0,
  });
  const pubs: Pub[] = [
    // 23:59 IST on 10 March.
    {
      id: randomUUID(),
      dept: A,
      content: content.c1,
      kind: 'ACHIEVEMENT',
      platform: 'X',
      link: false,
      at: '2026-03-10T18:29:00Z',
      engagement: eng(1000, 50, 10, 5, 20),
    },
    // 00:30 IST on 12 March, though still 11 March in UTC: 11 March has no achievement in Kolkata.
    {
      id: randomUUID(),
      dept: A,
      content: content.c1,
      kind: 'ACHIEVEMENT',
      platform: 'FACEBOOK',
      link: false,
      at: '2026-03-11T19:00:00Z',
      engagement: eng(400, 8, 2, 1, 4),
    },
    {
      id: randomUUID(),
      dept: A,
      content: content.c2,
      kind: 'SCHEME',
      platform: 'X',
      link: true,
      at: '2026-03-11T06:00:00Z',
      engagement: eng(500, 5, 1, 1, 3),
    },
    {
      id: randomUUID(),
      dept: A,
      content: content.c4,
      kind: 'ACHIEVEMENT',
      platform: 'INSTAGRAM',
      link: false,
      at: '2026-03-10T10:00:00Z',
      engagement: eng(200, 30, 0, 6, 0),
    },
    // 05:30 IST on 13 March: after the period.
    {
      id: randomUUID(),
      dept: A,
      content: content.c4,
      kind: 'ACHIEVEMENT',
      platform: 'X',
      link: false,
      at: '2026-03-13T00:00:00Z',
      engagement: eng(9000, 900, 90, 9, 9),
    },
    // 23:59 IST on 9 March: before the period.
    {
      id: randomUUID(),
      dept: A,
      content: content.c3,
      kind: 'ORDER',
      platform: 'X',
      link: false,
      at: '2026-03-09T18:29:00Z',
    },
    {
      id: randomUUID(),
      dept: B,
      content: content.b1,
      kind: 'ACHIEVEMENT',
      platform: 'X',
      link: false,
      at: '2026-03-11T05:00:00Z',
      engagement: eng(700, 70, 7, 7, 7),
    },
    {
      id: randomUUID(),
      dept: C,
      content: content.k1,
      kind: 'ORDER',
      platform: 'WHATSAPP',
      link: false,
      at: '2026-03-11T05:00:00Z',
    },
  ];
  // Submissions and final decisions of department A (minutes computed by hand below).
  const decided = [
    {
      content: content.c1,
      submitted: '2026-03-10T04:00:00Z',
      decided: '2026-03-10T04:30:00Z',
      approved: true,
    },
    {
      content: content.c2,
      submitted: '2026-03-10T10:00:00Z',
      decided: '2026-03-11T04:00:00Z',
      approved: true,
    },
    {
      content: content.c3,
      submitted: '2026-03-11T08:00:00Z',
      decided: '2026-03-11T10:00:00Z',
      approved: false,
    },
    {
      content: content.c4,
      submitted: '2026-03-10T09:00:00Z',
      decided: '2026-03-10T09:45:00Z',
      approved: true,
    },
    {
      // The submission's time (intake's clock) is after the decision's (approval's clock): a
      // turnaround of 0, never negative, and still paired with its own submission.
      content: content.c5,
      submitted: '2026-03-12T06:00:01Z',
      decided: '2026-03-12T06:00:00Z',
      approved: true,
    },
  ];
  const approvalIds = { a1: randomUUID(), a2: randomUUID(), b: randomUUID() };

  /** Every event of the scenario, each with a fixed id and time, as a list of (apply) steps. */
  type Step = (em: import('typeorm').EntityManager) => Promise<void>;
  const steps: Step[] = [];
  const at = (id: string, time: string): EventMeta => ({ id, time: T(time) });
  const snapshot = (contentId: string, version: number, createdAt: string) => {
    const k = kinds[contentId];
    return {
      contentId,
      departmentId: k.dept,
      version,
      kind: ContentKind[k.kind],
      title: `Title ${contentId.slice(0, 4)}, "quoted"`,
      body: [{ language: 1, text: 'किसानों को, लाभ\nनई योजना' }],
      hashtags: ['MP'],
      ...(k.link ? { link: 'https://mp.gov.in/scheme' } : {}),
      createdBy: { subject: `ed-${run}`, name: 'Ed', roles: ['DEPT_EDITOR'] },
      createdAt: timestampFromDate(T(createdAt)),
    };
  };

  function buildScenario() {
    for (const [contentId, k] of Object.entries(kinds)) {
      const created = '2026-03-10T01:00:00Z';
      const id = `created-${contentId}`;
      steps.push((em) =>
        ingest.contentCreated(
          em,
          create(ContentCreatedSchema, {
            contentId,
            departmentId: k.dept,
            snapshot: snapshot(contentId, 1, created),
          }),
          at(id, created),
        ),
      );
    }
    for (const d of decided) {
      const version = d.content === content.c4 ? 2 : 1;
      if (d.content === content.c4) {
        steps.push((em) =>
          ingest.contentSubmitted(
            em,
            create(ContentSubmittedSchema, {
              contentId: d.content,
              departmentId: A,
              snapshot: snapshot(d.content, 1, '2026-03-10T01:00:00Z'),
              submittedAt: timestampFromDate(T('2026-03-10T05:00:00Z')),
            }),
            at(`sub1-${d.content}`, '2026-03-10T05:00:00Z'),
          ),
        );
        steps.push((em) =>
          ingest.changesRequested(
            em,
            create(ChangesRequestedSchema, {
              contentId: d.content,
              departmentId: A,
              approvalId: approvalIds.a2,
              contentVersion: 1,
              stageIndex: 0,
              comment: 'Add the district names',
            }),
            at(`cr-${d.content}`, '2026-03-10T06:00:00Z'),
          ),
        );
        steps.push((em) =>
          ingest.contentUpdated(
            em,
            create(ContentUpdatedSchema, {
              contentId: d.content,
              departmentId: A,
              previousVersion: 1,
              snapshot: snapshot(d.content, 2, '2026-03-10T01:00:00Z'),
            }),
            at(`upd-${d.content}`, '2026-03-10T08:30:00Z'),
          ),
        );
      }
      steps.push((em) =>
        ingest.contentSubmitted(
          em,
          create(ContentSubmittedSchema, {
            contentId: d.content,
            departmentId: A,
            snapshot: snapshot(d.content, version, '2026-03-10T01:00:00Z'),
            submittedAt: timestampFromDate(T(d.submitted)),
          }),
          at(`sub-${d.content}`, d.submitted),
        ),
      );
      steps.push((em) =>
        d.approved
          ? ingest.contentApproved(
              em,
              create(ContentApprovedSchema, {
                contentId: d.content,
                departmentId: A,
                approvalId: randomUUID(),
                contentVersion: version,
                snapshot: snapshot(d.content, version, '2026-03-10T01:00:00Z'),
                approvers: [{ subject: 'approver', name: 'Secretary', roles: ['DEPT_APPROVER'] }],
                approvedAt: timestampFromDate(T(d.decided)),
              }),
              at(`dec-${d.content}`, d.decided),
            )
          : ingest.contentRejected(
              em,
              create(ContentRejectedSchema, {
                contentId: d.content,
                departmentId: A,
                approvalId: randomUUID(),
                contentVersion: version,
                stageIndex: 0,
                actor: { subject: 'approver', name: 'Secretary', roles: ['DEPT_APPROVER'] },
                reason: 'Not for publication',
              }),
              at(`dec-${d.content}`, d.decided),
            ),
      );
    }
    // SLA breaches: one stage escalated twice (one breach), another stage, and department B's.
    const escalate = (eventId: string, approvalId: string, dept: string, stage: number, due: string) =>
      steps.push((em) =>
        ingest.approvalEscalated(
          em,
          create(ApprovalEscalatedSchema, {
            contentId: content.c2,
            departmentId: dept,
            approvalId,
            contentVersion: 1,
            stageIndex: stage,
            role: 'DEPT_APPROVER',
            dueAt: timestampFromDate(T(due)),
          }),
          at(eventId, due),
        ),
      );
    escalate(`esc1-${run}`, approvalIds.a1, A, 0, '2026-03-10T14:00:00Z');
    escalate(`esc1b-${run}`, approvalIds.a1, A, 0, '2026-03-10T14:00:00Z');
    escalate(`esc2-${run}`, approvalIds.a1, A, 1, '2026-03-11T02:00:00Z');
    escalate(`esc3-${run}`, approvalIds.a2, A, 0, '2026-03-13T02:00:00Z'); // after the period
    escalate(`esc4-${run}`, approvalIds.b, B, 0, '2026-03-11T02:00:00Z');
    for (const p of pubs) {
      const base = {
        contentId: p.content,
        departmentId: p.dept,
        publicationId: p.id,
        accountId: `${p.platform}-${p.dept.slice(0, 6)}`,
        platform: PbPlatform[p.platform],
      };
      steps.push((em) =>
        ingest.publishRequested(
          em,
          create(PublishRequestedSchema, {
            ...base,
            contentVersion: 1,
            scheduledAt: timestampFromDate(T(p.at)),
            attempt: 1,
            snapshot: snapshot(p.content, 1, '2026-03-10T01:00:00Z'),
          }),
          at(`req-${p.id}`, p.at),
        ),
      );
      steps.push((em) =>
        ingest.publicationPublished(
          em,
          create(PublicationPublishedSchema, {
            ...base,
            contentVersion: 1,
            attempt: 1,
            externalId: `ext-${p.id.slice(0, 8)}`,
            url: `https://example.test/${p.id}`,
            publishedAt: timestampFromDate(T(p.at)),
          }),
          at(`pub-${p.id}`, p.at),
        ),
      );
      if (p.engagement) {
        const observed = (hours: number) => new Date(T(p.at).getTime() + hours * 3_600_000);
        const e = p.engagement;
        // The latest snapshot, then an older one arriving late: the latest wins.
        steps.push((em) =>
          ingest.engagementSnapshot(
            em,
            create(EngagementSnapshotSchema, { ...base, ...e, observedAt: timestampFromDate(observed(6)) }),
            at(`eng2-${p.id}`, observed(6).toISOString()),
          ),
        );
        steps.push((em) =>
          ingest.engagementSnapshot(
            em,
            create(EngagementSnapshotSchema, {
              ...base,
              impressions: Math.floor(e.impressions / 2),
              likes: Math.floor(e.likes / 2),
              observedAt: timestampFromDate(observed(1)),
            }),
            at(`eng1-${p.id}`, observed(1).toISOString()),
          ),
        );
      }
    }
  }

  /** One event per transaction, as the consumer handles a message on its own. */
  async function applyAll(order: Step[]) {
    for (const step of order) await asPlatform(ds, (em) => withDeferred(em, step));
  }

  /** Several events per transaction, written together, as the consumer handles a Kafka batch. */
  async function applyInBatches(order: Step[], size: number) {
    for (let i = 0; i < order.length; i += size)
      await asPlatform(ds, (em) =>
        withDeferred(em, async (tx) => {
          for (const step of order.slice(i, i + size)) await step(tx);
        }),
      );
  }

  @Module({
    controllers: [RecordsController],
    providers: [
      RecordsService,
      { provide: TypeOrmDataSource, useFactory: () => ds },
      {
        provide: RECORDS_VERIFIER,
        useFactory: () => {
          const env = readInfraEnv();
          return new TokenVerifier({
            jwksFile: env.AUTH_JWKS_FILE,
            issuer: env.AUTH_ISSUER,
            audience: env.AUTH_AUDIENCE,
          });
        },
      },
    ],
  })
  class ExportTestModule {}

  beforeAll(async () => {
    ds = createServiceDataSource(analyticsDataSourceOptions(readInfraEnv().DATABASE_URLS.analytics));
    await ds.initialize();
    await migrate(ds);
    ingest = new IngestService(prices);
    analytics = new AnalyticsService(ds, prices);
    buildScenario();
    // The scenario arrives in batches (the consumer's way); the replay test below applies it
    // again one event at a time and in reverse, and the numbers must not move.
    await applyInBatches(steps, 7);
    app = await NestFactory.create(ExportTestModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
    await ds?.destroy();
  });

  /** Department A's scorecard for the period, computed from the scenario without the service. */
  function expectedScorecard() {
    const inPeriod = pubs.filter((p) => p.dept === A && T(p.at) >= from && T(p.at) < to);
    const count = <K extends string>(key: (p: Pub) => K) => {
      const m: Record<string, number> = {};
      for (const p of inPeriod) m[key(p)] = (m[key(p)] ?? 0) + 1;
      return m;
    };
    const periodDays = ['2026-03-10', '2026-03-11', '2026-03-12'];
    const achievementDays = new Set(
      inPeriod.filter((p) => p.kind === 'ACHIEVEMENT').map((p) => istDay(T(p.at))),
    );
    const turnarounds = decided.map((d) => Math.max(0, minutes(d.submitted, d.decided)));
    const sum = (f: (e: NonNullable<Pub['engagement']>) => number) =>
      inPeriod.reduce((a, p) => a + (p.engagement ? f(p.engagement) : 0), 0);
    const totals = {
      impressions: sum((e) => e.impressions),
      reach: sum((e) => e.reach),
      likes: sum((e) => e.likes),
      shares: sum((e) => e.shares),
      comments: sum((e) => e.comments),
      clicks: sum((e) => e.clicks),
      videoViews: sum((e) => e.videoViews),
    };
    const cost = inPeriod.reduce(
      (a, p) => a + (p.platform === 'X' ? (p.link ? 4 : 1.5) : p.platform === 'FACEBOOK' ? 0.25 : 0),
      0,
    );
    const top = inPeriod
      .filter((p) => p.engagement)
      .sort((x, y) => {
        const s = (e: NonNullable<Pub['engagement']>) => e.likes + e.shares + e.comments + e.clicks;
        return s(y.engagement!) - s(x.engagement!);
      })
      .map((p) => p.id);
    return {
      published: inPeriod.length,
      byKind: count((p) => p.kind),
      byPlatform: count((p) => p.platform),
      achievementDaysMet: periodDays.filter((d) => achievementDays.has(d)).length,
      achievementDaysTotal: periodDays.length,
      median: percentile(turnarounds, 0.5),
      p90: percentile(turnarounds, 0.9),
      slaBreaches: 2,
      totals,
      rate: (totals.likes + totals.shares + totals.comments + totals.clicks) / totals.impressions,
      cost,
      top,
    };
  }

  it('computes the scorecard the scenario implies, counting days in Asia/Kolkata', async () => {
    const want = expectedScorecard();
    const s = await analytics.scorecard(editorA, A, from, to);
    expect(s.published).toBe(want.published);
    expect(Object.fromEntries(s.publishedByKind.map((k) => [k.kind, k.count]))).toEqual(want.byKind);
    expect(Object.fromEntries(s.publishedByPlatform.map((k) => [k.platform, k.count]))).toEqual(
      want.byPlatform,
    );
    // 10 and 12 March have an achievement in Kolkata; 11 March has one only in UTC.
    expect(want.achievementDaysMet).toBe(2);
    expect(s.achievementDaysMet).toBe(want.achievementDaysMet);
    expect(s.achievementDaysTotal).toBe(want.achievementDaysTotal);
    expect(s.approvalTurnaroundMedianMinutes).toBeCloseTo(want.median, 6);
    expect(s.approvalTurnaroundP90Minutes).toBeCloseTo(want.p90, 6);
    expect(s.slaBreaches).toBe(want.slaBreaches);
    expect(s.engagement).toMatchObject(want.totals);
    expect(s.engagement.engagementRate).toBeCloseTo(want.rate, 10);
    expect(s.cost).toBeCloseTo(want.cost, 6);
    expect(s.costCurrency).toBe('INR');
    const top = await analytics.topPosts(editorA, s, 2);
    expect(top).toEqual(want.top.slice(0, 2).map((id) => ({ __typename: 'Publication', id })));
  });

  it('never fails a scorecard on its arguments: empty or reversed periods are empty, long ones cover their last five years', async () => {
    // The field sits under createDepartment's result too, where an error would hide the creation.
    for (const [a, b] of [
      [from, from],
      [to, from],
    ]) {
      const s = await analytics.scorecard(editorA, A, a, b);
      expect(s).toMatchObject({
        from: a,
        to: b,
        published: 0,
        achievementDaysTotal: 0,
        slaBreaches: 0,
        cost: 0,
      });
      expect(s.publishedByKind).toEqual([]);
      expect(s.engagement.impressions).toBe(0);
      expect(await analytics.topPosts(editorA, s, 5)).toEqual([]);
    }
    const longAgo = new Date('2001-01-01T00:00:00Z');
    const long = await analytics.scorecard(editorA, A, longAgo, to);
    expect(long.from).toEqual(new Date(to.getTime() - MAX_SCORECARD_MS));
    expect(long).toEqual(await analytics.scorecard(editorA, A, long.from, to));
    expect(long.published).toBeGreaterThanOrEqual(expectedScorecard().published);
    const s = await analytics.scorecard(editorA, A, from, to);
    expect(await analytics.topPosts(editorA, s, -3)).toEqual([]);
    expect((await analytics.topPosts(editorA, s, 1000)).length).toBe(expectedScorecard().top.length);
  });

  it('shows a department only its own scorecard and metrics, and the overview only to the IT cell', async () => {
    await expect(analytics.scorecard(editorB, A, from, to)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(analytics.stateOverview(editorA, '2026-03-11')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const p1 = pubs[0];
    expect(await analytics.publicationMetrics(editorB, p1.id)).toBeNull();
    expect(await analytics.contentMetrics(editorB, content.c1)).toBeNull();
    expect(await analytics.publicationMetrics(editorA, p1.id)).toMatchObject({
      impressions: 1000,
      likes: 50,
    });
    const c1 = pubs.filter((p) => p.content === content.c1);
    expect(await analytics.contentMetrics(editorA, content.c1)).toMatchObject({
      impressions: c1.reduce((a, p) => a + p.engagement!.impressions, 0),
      likes: c1.reduce((a, p) => a + p.engagement!.likes, 0),
    });
    expect((await analytics.scorecard(itCell, B, from, to)).published).toBe(1);
  });

  it('lists every department in the overview, with who missed the day’s achievement', async () => {
    const mine = (o: Awaited<ReturnType<AnalyticsService['stateOverview']>>) =>
      Object.fromEntries(
        o.departments
          .filter((d) => [A, B, C].includes(d.department.id))
          .map((d) => [d.department.id, d.achievementPublished]),
      );
    const missing = (o: Awaited<ReturnType<AnalyticsService['stateOverview']>>) =>
      o.missingAchievement
        .map((d) => d.id)
        .filter((id) => [A, B, C].includes(id))
        .sort();
    const expectedFor = (day: string) =>
      Object.fromEntries(
        [A, B, C].map((d) => [
          d,
          pubs.some((p) => p.dept === d && p.kind === 'ACHIEVEMENT' && istDay(T(p.at)) === day),
        ]),
      );
    for (const day of ['2026-03-10', '2026-03-11', '2026-03-12']) {
      const o = await analytics.stateOverview(itCell, day);
      expect(mine(o)).toEqual(expectedFor(day));
      const want = expectedFor(day);
      expect(missing(o)).toEqual([A, B, C].filter((d) => !want[d]).sort());
    }
    // The day boundary: A's 00:30 IST post counts for 12 March, so A misses 11 March; C never has one.
    expect(mine(await analytics.stateOverview(itCell, '2026-03-11'))).toEqual({
      [A]: false,
      [B]: true,
      [C]: false,
    });
    await expect(analytics.stateOverview(itCell, '2026-02-30')).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
  });

  it('gives the same numbers when every event is replayed, one by one or all in one batch, in any order', async () => {
    const before = {
      a: await analytics.scorecard(editorA, A, from, to),
      b: await analytics.scorecard(editorB, B, from, to),
      days: await Promise.all(
        ['2026-03-10', '2026-03-11', '2026-03-12'].map((d) => analytics.stateOverview(itCell, d)),
      ),
      metrics: await analytics.contentMetrics(editorA, content.c1),
    };
    await applyAll(steps);
    await applyInBatches([...steps].reverse(), steps.length);
    const after = {
      a: await analytics.scorecard(editorA, A, from, to),
      b: await analytics.scorecard(editorB, B, from, to),
      days: await Promise.all(
        ['2026-03-10', '2026-03-11', '2026-03-12'].map((d) => analytics.stateOverview(itCell, d)),
      ),
      metrics: await analytics.contentMetrics(editorA, content.c1),
    };
    expect(after).toEqual(before);
  });

  it('skips an event without well-formed ids instead of failing it forever', async () => {
    const before = await analytics.scorecard(itCell, A, from, to);
    await asPlatform(ds, (em) =>
      withDeferred(em, (tx) =>
        ingest.contentCreated(
          tx,
          create(ContentCreatedSchema, {
            contentId: randomUUID(),
            departmentId: '',
            snapshot: { title: 'x' },
          }),
          at(`bad-${run}`, '2026-03-10T02:00:00Z'),
        ),
      ),
    );
    expect(await analytics.scorecard(itCell, A, from, to)).toEqual(before);
  });

  const exportUrl = (dept: string, format: string) =>
    `${baseUrl}/exports/records?department=${dept}&from=${from.toISOString()}&to=${to.toISOString()}&format=${format}`;
  const tokenA = () => tokenFor({ subject: `admin-${run}`, roles: ['DEPT_ADMIN'], department: codeA });

  /** What the export must hold for department A in the period, from the scenario. */
  function expectedRecordKeys(): string[] {
    const keys: string[] = [];
    for (const [id, k] of Object.entries(kinds))
      if (k.dept === A) keys.push(`content:${id}:${id === content.c4 ? 2 : 1}`);
    for (const [id, k] of Object.entries(kinds)) if (k.dept === A) keys.push(`version:${id}:1`);
    keys.push(`version:${content.c4}:2`);
    for (const d of decided) keys.push(`decision:${d.content}:${d.content === content.c4 ? 2 : 1}`);
    keys.push(`decision:${content.c4}:1`); // changes requested on version 1
    for (const p of pubs)
      if (p.dept === A && T(p.at) >= from && T(p.at) < to) keys.push(`publication:${p.id}`);
    return keys.sort();
  }
  const keyOf = (r: Record<string, string | null>) =>
    r.record_type === 'publication'
      ? `publication:${r.publication_id}`
      : `${r.record_type}:${r.content_id}:${r.content_version}`;

  it('exports every record of the department for the period as JSON, and nothing of another', async () => {
    const res = await fetch(exportUrl(A, 'json'), { headers: { authorization: `Bearer ${await tokenA()}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const rows = (await res.json()) as Record<string, string | null>[];
    expect(rows.every((r) => r.department_id === A)).toBe(true);
    expect(rows.map(keyOf).sort()).toEqual(expectedRecordKeys());
    const foreign = new Set<string>([content.b1, content.k1]);
    expect(rows.some((r) => foreign.has(r.content_id ?? ''))).toBe(false);
  });

  it('exports the same records as CSV with a header row', async () => {
    const res = await fetch(exportUrl(A, 'csv'), { headers: { authorization: `Bearer ${await tokenA()}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const rows = parseCsv(await res.text());
    const [header, ...data] = rows;
    expect(header[0]).toBe('record_type');
    const records = data.map((cells) =>
      Object.fromEntries(header.map((h, i) => [h, cells[i] === '' ? null : cells[i]])),
    );
    expect(records.every((r) => r.department_id === A)).toBe(true);
    expect(records.map(keyOf).sort()).toEqual(expectedRecordKeys());
    // Commas, quotes and line breaks survive the quoting.
    const version = records.find((r) => r.record_type === 'version');
    expect(version?.title).toMatch(/, "quoted"$/);
    expect(JSON.parse(version!.body!)).toEqual([{ language: 1, text: 'किसानों को, लाभ\nनई योजना' }]);
  });

  it('refuses another department’s export, a missing token, and lets the IT cell export any', async () => {
    const other = await fetch(exportUrl(B, 'csv'), {
      headers: { authorization: `Bearer ${await tokenA()}` },
    });
    expect([403, 404]).toContain(other.status);
    expect((await fetch(exportUrl(A, 'csv'))).status).toBe(401);
    // An editor of the department may not export its records (EXPORT_ROLES).
    const editor = await tokenFor({ subject: `ed-${run}`, roles: ['DEPT_EDITOR'], department: codeA });
    const refused = await fetch(exportUrl(A, 'csv'), { headers: { authorization: `Bearer ${editor}` } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'FORBIDDEN' });
    const it = await tokenFor({ subject: `it-${run}`, roles: ['IT_CELL_ADMIN'] });
    const res = await fetch(exportUrl(B, 'json'), { headers: { authorization: `Bearer ${it}` } });
    const rows = (await res.json()) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.department_id === B)).toBe(true);
  });
});

/** A small RFC 4180 parser for the test: quoted fields, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}
