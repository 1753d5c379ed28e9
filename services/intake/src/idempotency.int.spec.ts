// Idempotent createContent and createDepartment over HTTP with real tokens, against the real
// database: a repeat answers the first result with one row, one outbox event and one audit entry.
import { asPlatform } from '@prasar/persistence';
import { gql, tokenFor, type GraphQLResponse } from '@prasar/testing';
import { startIntake, uniqueCode, type IntakeHarness } from './testing/intake-harness';

describe('idempotent creation in intake', () => {
  let h: IntakeHarness;
  const agri = uniqueCode('agri');
  let agriId: string;
  const tokens: Record<string, string> = {};

  const call = <T = Record<string, unknown>>(
    who: string,
    query: string,
    variables: Record<string, unknown>,
  ) => gql<T>(h.url as string, query, variables, tokens[who]);
  const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;

  const CREATE = `mutation($d: ID!, $i: ContentInput!, $k: String) {
    createContent(departmentId: $d, input: $i, idempotencyKey: $k) { id title version status }
  }`;
  const input = (title = 'गेहूं उपार्जन / Wheat procurement') => ({
    kind: 'ACHIEVEMENT',
    title,
    body: [
      { language: 'HI', text: 'प्रदेश में 1 करोड़ मीट्रिक टन गेहूं का उपार्जन' },
      { language: 'EN', text: 'Madhya Pradesh procured 10 million tonnes of wheat' },
    ],
    hashtags: ['MPKisan'],
    targetAccountIds: [`x-${agri}`],
  });
  const create = (who: string, key: string | null, i: Record<string, unknown> = input()) =>
    call<{ createContent: { id: string; title: string } }>(who, CREATE, { d: agriId, i, k: key });

  /** What createContent left behind for one author: content rows, versions, CREATED audit entries, ContentCreated events. */
  async function effectsOf(subject: string) {
    const ids = (await asPlatform(h.ds, (em) =>
      em.query(`SELECT id FROM contents WHERE created_by = $1 ORDER BY created_at`, [subject]),
    )) as { id: string }[];
    const contentIds = ids.map((r) => r.id);
    const [{ versions, audits }] = (await asPlatform(h.ds, (em) =>
      em.query(
        `SELECT (SELECT count(*)::int FROM content_versions WHERE content_id = ANY($1::uuid[])) AS versions,
                (SELECT count(*)::int FROM audit_entries WHERE content_id = ANY($1::uuid[]) AND action = 'CREATED') AS audits`,
        [contentIds],
      ),
    )) as { versions: number; audits: number }[];
    const events = (await h.outbox('ContentCreated')).filter((e) => contentIds.includes(e.key));
    return { contents: contentIds, versions, audits, events: events.length };
  }

  beforeAll(async () => {
    h = await startIntake('idempotency', { http: true });
    agriId = await h.department(agri);
    await h.connectAccount(`x-${agri}`, agriId, 'X');
    const sign = (subject: string, role: string, department?: string) =>
      tokenFor({ subject, roles: [role as never], department }, h.env);
    tokens.editor = await sign(`editor-${agri}`, 'DEPT_EDITOR', agri);
    tokens.racer = await sign(`racer-${agri}`, 'DEPT_EDITOR', agri);
    tokens.other = await sign(`other-${agri}`, 'DEPT_EDITOR', agri);
    tokens.admin = await sign('it-admin-idem', 'IT_CELL_ADMIN');
  });

  afterAll(async () => {
    await h?.close();
  });

  it('answers a repeat with the first draft: one row, one version, one audit entry, one event', async () => {
    const first = await create('editor', 'retry-1');
    expect(first.errors).toBeUndefined();
    // The same input with its fields in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(input()).reverse());
    const again = await create('editor', 'retry-1', reordered);
    expect(again.errors).toBeUndefined();
    expect(again.data?.createContent).toEqual(first.data?.createContent);
    expect(await effectsOf(`editor-${agri}`)).toEqual({
      contents: [first.data!.createContent.id],
      versions: 1,
      audits: 1,
      events: 1,
    });
  });

  it('refuses the same key with a different input as CONFLICT and changes nothing', async () => {
    const before = await effectsOf(`editor-${agri}`);
    const res = await create('editor', 'retry-1', input('A different title'));
    expect(codeOf(res)).toBe('CONFLICT');
    expect(res.errors?.[0]?.message).toMatch(/already used for createContent with a different input/);
    expect(await effectsOf(`editor-${agri}`)).toEqual(before);
    const [row] = (await asPlatform(h.ds, (em) =>
      em.query(`SELECT title, version FROM contents WHERE id = $1`, [before.contents[0]]),
    )) as { title: string; version: number }[];
    expect(row).toEqual({ title: 'गेहूं उपार्जन / Wheat procurement', version: 1 });
  });

  it('creates one draft when repeats with one key race', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => create('racer', 'race-1')));
    expect(results.map((r) => r.errors)).toEqual(Array(6).fill(undefined));
    const ids = new Set(results.map((r) => r.data?.createContent.id));
    expect(ids.size).toBe(1);
    expect(await effectsOf(`racer-${agri}`)).toEqual({
      contents: [...ids],
      versions: 1,
      audits: 1,
      events: 1,
    });
  });

  it("keeps keys per caller: another editor's same key makes its own draft", async () => {
    const mine = await create('editor', 'retry-1');
    const theirs = await create('other', 'retry-1');
    expect(theirs.errors).toBeUndefined();
    expect(theirs.data?.createContent.id).not.toBe(mine.data?.createContent.id);
    expect((await effectsOf(`other-${agri}`)).contents).toEqual([theirs.data?.createContent.id]);
  });

  it('refuses an invalid key with BAD_USER_INPUT and creates nothing', async () => {
    for (const key of ['', 'x'.repeat(201), 'has\u0000nul', 'has space']) {
      const res = await create('other', key, input('Never created'));
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      // A NUL is refused for every text argument before any resolver (libs/graphql's input check).
      const rule = key.includes('\u0000') ? 'noNul' : 'IDEMPOTENCY_KEY';
      expect(res.errors?.[0]?.extensions?.violations).toEqual([
        expect.objectContaining({ field: 'idempotencyKey', rule }),
      ]);
    }
    expect((await effectsOf(`other-${agri}`)).contents).toHaveLength(1);
  });

  it('makes createDepartment idempotent too: a repeat answers the department, another input is CONFLICT', async () => {
    const code = uniqueCode('idem');
    const CREATE_DEPARTMENT = `mutation($i: DepartmentInput!, $k: String) {
      createDepartment(input: $i, idempotencyKey: $k) { id code name nameHi }
    }`;
    const department = { code, name: 'Idempotent Department', nameHi: 'विभाग' };
    const first = await call(`admin`, CREATE_DEPARTMENT, { i: department, k: 'dept-1' });
    expect(first.errors).toBeUndefined();
    const again = await call(`admin`, CREATE_DEPARTMENT, { i: department, k: 'dept-1' });
    expect(again).toEqual(first);
    const other = await call(`admin`, CREATE_DEPARTMENT, {
      i: { ...department, name: 'Renamed' },
      k: 'dept-1',
    });
    expect(codeOf(other)).toBe('CONFLICT');
    // Without a key a repeat is what it always was: the code exists.
    expect(codeOf(await call(`admin`, CREATE_DEPARTMENT, { i: department }))).toBe('CONFLICT');
    const rows = await asPlatform(h.ds, (em) =>
      em.query(`SELECT name FROM departments WHERE code = $1`, [code]),
    );
    expect(rows).toEqual([{ name: 'Idempotent Department' }]);
  });
});
