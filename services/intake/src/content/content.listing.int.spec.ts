// contents(filter, first, after) against the real database: keyset pagination with stable cursors,
// filters, Hindi and English search, and tenant isolation.
import { DomainError, type Principal } from '@prasar/auth';
import { asCaller, asPlatform } from '@prasar/persistence';
import {
  contentInput,
  IT_CELL,
  principal,
  startIntake,
  uniqueCode,
  type IntakeHarness,
} from '../testing/intake-harness';
import type { ContentInputArgs } from './content.resolver';
import { toContentBody } from './content.resolver';
import { encodeCursor, type ContentConnection, type ContentFilterArgs } from './content.listing';

describe('contents: pagination, filters, search and isolation', () => {
  let h: IntakeHarness;
  const agri = uniqueCode('agri');
  const health = uniqueCode('health');
  let agriId: string;
  let healthId: string;
  const agriEditor = () => principal('DEPT_EDITOR', agri);
  const healthEditor = () => principal('DEPT_EDITOR', health);
  const ids: Record<string, string> = {};

  async function create(
    caller: Principal,
    departmentId: string,
    account: string,
    input: Partial<ContentInputArgs>,
  ) {
    const c = await h.contents.create(
      caller,
      departmentId,
      toContentBody(contentInput({ targetAccountIds: [account], ...input })),
    );
    return c.id;
  }

  beforeAll(async () => {
    h = await startIntake('listing');
    agriId = await h.department(agri);
    healthId = await h.department(health);
    await h.connectAccount(`fb-${agri}`, agriId, 'FACEBOOK');
    await h.connectAccount(`fb-${health}`, healthId, 'FACEBOOK');
    const a = (input: Partial<ContentInputArgs>) => create(agriEditor(), agriId, `fb-${agri}`, input);
    ids.wheat = await a({
      title: 'गेहूं उपार्जन',
      body: [
        { language: 'HI', text: 'प्रदेश में गेहूं का रिकॉर्ड उपार्जन हुआ।' },
        { language: 'EN', text: 'Record WHEAT procurement this season.' },
      ],
    });
    ids.soybean = await a({
      kind: 'SCHEME',
      title: 'Soybean seed scheme',
      body: [{ language: 'HI', text: 'सोयाबीन किसानों को प्रमाणित बीज 50% छूट पर।' }],
    });
    ids.mela = await a({
      kind: 'EVENT',
      title: 'Kisan mela',
      body: [{ language: 'EN', text: 'Kisan mela in Sehore on Sunday.' }],
    });
    for (let i = 0; i < 22; i++)
      ids[`filler${i}`] = await a({
        kind: 'SUCCESS_STORY',
        title: `Story ${i}`,
        body: [{ language: 'EN', text: `A farmer's story number ${i}.` }],
      });
    ids.healthFlour = await create(healthEditor(), healthId, `fb-${health}`, {
      title: 'Fortified flour',
      body: [{ language: 'HI', text: 'आंगनवाड़ी में फोर्टिफाइड गेहूं के आटे का वितरण।' }],
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  const list = (
    caller: Principal,
    filter: ContentFilterArgs | null,
    first?: number | null,
    after?: string | null,
  ) => h.listing.list(caller, filter, first ?? null, after ?? null);
  const titles = (c: ContentConnection) => c.edges.map((e) => e.node.title);
  const errorOf = async (work: Promise<unknown>) =>
    work.then(
      () => null,
      (err: unknown) =>
        err instanceof DomainError ? { code: err.code, fields: err.violations.map((v) => v.field) } : err,
    );

  /** The department's ids newest first, as the database orders them. */
  async function expectedOrder(departmentId: string): Promise<string[]> {
    const rows: { id: string }[] = await asPlatform(h.ds, (em) =>
      em.query(`SELECT id FROM contents WHERE department_id = $1 ORDER BY created_at DESC, id DESC`, [
        departmentId,
      ]),
    );
    return rows.map((r) => r.id);
  }

  it('pages through every item exactly once, newest first, while new items arrive between pages', async () => {
    const order = await expectedOrder(agriId);
    expect(order).toHaveLength(25);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    let arrivals = 0;
    for (;;) {
      const page: ContentConnection = await list(IT_CELL, { departmentId: agriId }, 10, after);
      seen.push(...page.edges.map((e) => e.node.id));
      expect(page.totalCount).toBe(25 + arrivals);
      pages += 1;
      // Someone creates content between the pages; it sorts before every cursor already handed out.
      for (let i = 0; i < 2; i++) {
        await create(agriEditor(), agriId, `fb-${agri}`, {
          title: `Arrival ${arrivals}`,
          body: [{ language: 'EN', text: 'Created while someone pages.' }],
        });
        arrivals += 1;
      }
      if (!page.pageInfo.hasNextPage) break;
      // The same cursor gives the same page again.
      const again = await list(IT_CELL, { departmentId: agriId }, 10, page.pageInfo.endCursor);
      const next = await list(IT_CELL, { departmentId: agriId }, 10, page.pageInfo.endCursor);
      expect(next.edges.map((e) => e.cursor)).toEqual(again.edges.map((e) => e.cursor));
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(order);
    // The first page now starts with the newest arrival.
    const fresh = await list(agriEditor(), null, 1);
    expect(titles(fresh)).toEqual([`Arrival ${arrivals - 1}`]);
    expect(fresh.edges[0].cursor).toBe(encodeCursor(fresh.edges[0].node.id));
  });

  it('filters by kind, status and period, combined', async () => {
    expect(titles(await list(agriEditor(), { kinds: ['SCHEME', 'EVENT'] })).sort()).toEqual([
      'Kisan mela',
      'Soybean seed scheme',
    ]);
    await h.contents.submit(agriEditor(), ids.mela);
    expect(titles(await list(agriEditor(), { statuses: ['IN_REVIEW'] }))).toEqual(['Kisan mela']);
    expect((await list(agriEditor(), { statuses: ['IN_REVIEW', 'DRAFT'] })).totalCount).toBeGreaterThan(25);

    await asPlatform(h.ds, async (em) => {
      await em.query(`UPDATE contents SET created_at = '2026-01-10T10:00:00Z' WHERE id = $1`, [ids.soybean]);
      await em.query(`UPDATE contents SET created_at = '2026-02-10T10:00:00Z' WHERE id = $1`, [ids.mela]);
    });
    const january = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-02-01T00:00:00Z') };
    expect(titles(await list(agriEditor(), january))).toEqual(['Soybean seed scheme']);
    expect(
      titles(
        await list(agriEditor(), {
          from: new Date('2026-01-10T10:00:00Z'),
          to: new Date('2026-03-01T00:00:00Z'),
        }),
      ),
    ).toEqual(['Kisan mela', 'Soybean seed scheme']);
    expect(titles(await list(agriEditor(), { ...january, kinds: ['EVENT'] }))).toEqual([]);
    expect(
      titles(await list(agriEditor(), { to: new Date('2026-03-01T00:00:00Z'), statuses: ['IN_REVIEW'] })),
    ).toEqual(['Kisan mela']);
  });

  it('searches title and body in Hindi and English, ignoring case', async () => {
    const search = async (caller: Principal, text: string, filter: ContentFilterArgs = {}) =>
      titles(await list(caller, { ...filter, search: text })).sort();
    expect(await search(agriEditor(), 'गेहूं')).toEqual(['गेहूं उपार्जन']);
    expect(await search(agriEditor(), 'wheat')).toEqual(['गेहूं उपार्जन']);
    expect(await search(agriEditor(), 'WhEaT PROCUREMENT')).toEqual(['गेहूं उपार्जन']);
    expect(await search(agriEditor(), 'सोयाबीन')).toEqual(['Soybean seed scheme']);
    expect(await search(agriEditor(), 'soybean')).toEqual(['Soybean seed scheme']);
    expect(await search(agriEditor(), 'sehore')).toEqual(['Kisan mela']);
    // LIKE wildcards are searched for literally.
    expect(await search(agriEditor(), '50%')).toEqual(['Soybean seed scheme']);
    expect(await search(agriEditor(), '%')).toEqual(['Soybean seed scheme']);
    expect(await search(agriEditor(), 'story_1')).toEqual([]);
    // The IT cell searches every department (or one).
    expect(await search(IT_CELL, 'गेहूं')).toEqual(expect.arrayContaining(['Fortified flour', 'गेहूं उपार्जन']));
    expect(await search(IT_CELL, 'गेहूं', { departmentId: healthId })).toEqual(['Fortified flour']);
  });

  it('walks the department listing index under row-level security (its operators are leakproof)', async () => {
    const plan: { 'QUERY PLAN': string }[] = await asCaller(h.ds, agriEditor(), async (em) => {
      await em.query(`SET LOCAL enable_seqscan = off`);
      return em.query(
        `EXPLAIN SELECT id FROM contents WHERE department_id = $1 AND search_text LIKE '%गेहूं%'
         ORDER BY created_at DESC, id DESC LIMIT 21`,
        [agriId],
      );
    });
    expect(plan.map((p) => p['QUERY PLAN']).join('\n')).toContain('contents_department_listing');
  });

  it("never shows an editor another department's content, whatever the filter says", async () => {
    const own = await list(healthEditor(), null);
    expect(own.edges.map((e) => e.node.departmentId)).toEqual([healthId]);
    expect(own.totalCount).toBe(1);
    for (const filter of [
      { departmentId: agriId },
      { departmentId: agriId, search: 'गेहूं' },
      { search: 'wheat' },
      { kinds: ['SCHEME' as const] },
    ]) {
      const other = await list(healthEditor(), filter);
      expect([other.totalCount, other.edges]).toEqual([0, []]);
    }
    expect(titles(await list(principal('VIEWER', health), { search: 'गेहूं' }))).toEqual(['Fortified flour']);
    // Nor can a cursor from another department's list be used to page into it.
    const agriCursor = encodeCursor(ids.wheat);
    expect(await errorOf(list(healthEditor(), null, 10, agriCursor))).toEqual({
      code: 'BAD_USER_INPUT',
      fields: ['after'],
    });
  });

  it('bounds first to 1..100 and refuses cursors it did not issue', async () => {
    for (const first of [0, -1, 101, 1000])
      expect(await errorOf(list(agriEditor(), null, first))).toEqual({
        code: 'BAD_USER_INPUT',
        fields: ['first'],
      });
    expect((await list(agriEditor(), null, 100)).edges.length).toBeGreaterThan(25);
    expect((await list(agriEditor(), null, 1)).edges).toHaveLength(1);
    for (const after of ['nonsense', Buffer.from('content:not-a-uuid').toString('base64url')])
      expect(await errorOf(list(agriEditor(), null, 10, after))).toEqual({
        code: 'BAD_USER_INPUT',
        fields: ['after'],
      });
    expect(await errorOf(list(IT_CELL, { departmentId: 'agri' }))).toEqual({
      code: 'BAD_USER_INPUT',
      fields: ['filter.departmentId'],
    });
  });
});
