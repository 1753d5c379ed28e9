// Intake's subgraph over HTTP with real tokens: the contract's operations, their error codes and
// violations, and the IT cell's additions, against the real database.
import { gql, tokenFor, type GraphQLResponse } from '@prasar/testing';
import { startIntake, uniqueCode, type IntakeHarness } from './testing/intake-harness';

describe('intake subgraph over HTTP', () => {
  let h: IntakeHarness;
  const agri = uniqueCode('agri');
  const health = uniqueCode('health');
  let agriId: string;
  let healthId: string;
  const tokens: Record<string, string> = {};
  const x = () => `x-${agri}`;
  const ig = () => `ig-${agri}`;

  const call = <T = Record<string, unknown>>(
    who: string,
    query: string,
    variables: Record<string, unknown> = {},
  ) => gql<T>(h.url as string, query, variables, tokens[who]);
  const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;
  const violationsOf = (res: GraphQLResponse) =>
    (res.errors?.[0]?.extensions?.violations as { field: string; rule: string }[] | undefined)?.map(
      (v) => `${v.field}:${v.rule}`,
    );

  const input = (overrides: Record<string, unknown> = {}) => ({
    kind: 'ACHIEVEMENT',
    title: 'गेहूं उपार्जन',
    body: [
      { language: 'HI', text: 'प्रदेश में 1 करोड़ मीट्रिक टन गेहूं का उपार्जन, किसानों को ₹2,600 प्रति क्विंटल' },
      { language: 'EN', text: 'Madhya Pradesh procured 10 million tonnes of wheat 🌾' },
    ],
    hashtags: ['#MPKisan', 'किसान'],
    targetAccountIds: [x()],
    ...overrides,
  });
  const CONTENT_FIELDS = `id status version title department { code ministers }
    variants { account { id } platform text weightedLength violations { field rule message } }
    history { action actor fromStatus toStatus note }`;

  beforeAll(async () => {
    h = await startIntake('graphql', { http: true });
    agriId = await h.department(agri);
    healthId = await h.department(health);
    await h.connectAccount(x(), agriId, 'X');
    await h.connectAccount(ig(), agriId, 'INSTAGRAM');
    await h.connectAccount(`x-${health}`, healthId, 'X');
    const sign = (subject: string, role: string, department?: string) =>
      tokenFor({ subject, roles: [role as never], department }, h.env);
    tokens.admin = await sign('it-admin', 'IT_CELL_ADMIN');
    tokens.editor = await sign(`editor-${agri}`, 'DEPT_EDITOR', agri);
    tokens.deptAdmin = await sign(`admin-${agri}`, 'DEPT_ADMIN', agri);
    tokens.viewer = await sign(`viewer-${agri}`, 'VIEWER', agri);
    tokens.healthEditor = await sign(`editor-${health}`, 'DEPT_EDITOR', health);
  });

  afterAll(async () => {
    await h?.close();
  });

  async function createContent(overrides: Record<string, unknown> = {}): Promise<string> {
    const res = await call<{ createContent: { id: string } }>(
      'editor',
      'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }',
      { d: agriId, i: input(overrides) },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.createContent.id;
  }

  it('creates, edits with the expected version, reads variants and history, and submits', async () => {
    const id = await createContent();
    const updated = await call(
      'editor',
      `mutation($id: ID!, $v: Int!, $i: ContentInput!) { updateContent(id: $id, expectedVersion: $v, input: $i) { ${CONTENT_FIELDS} } }`,
      { id, v: 1, i: input({ title: 'Record wheat procurement', link: 'https://mpkrishi.mp.gov.in/gehun' }) },
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data?.updateContent).toEqual({
      id,
      status: 'DRAFT',
      version: 2,
      title: 'Record wheat procurement',
      department: { code: agri, ministers: [] },
      variants: [
        {
          account: { id: x() },
          platform: 'X',
          text:
            'प्रदेश में 1 करोड़ मीट्रिक टन गेहूं का उपार्जन, किसानों को ₹2,600 प्रति क्विंटल\n\n' +
            'Madhya Pradesh procured 10 million tonnes of wheat 🌾\n\n#MPKisan #किसान\n\nhttps://mpkrishi.mp.gov.in/gehun',
          // 79 Devanagari code points + ₹ (2) = 80; 52 + 🌾 (2) = 53; hashtags 15; link 23; 3 blank lines 6.
          weightedLength: 177,
          violations: [],
        },
      ],
      history: [
        { action: 'CREATED', actor: `editor-${agri}`, fromStatus: null, toStatus: 'DRAFT', note: null },
        { action: 'UPDATED', actor: `editor-${agri}`, fromStatus: null, toStatus: null, note: 'Version 2' },
      ],
    });

    const stale = await call(
      'deptAdmin',
      'mutation($id: ID!, $i: ContentInput!) { updateContent(id: $id, expectedVersion: 1, input: $i) { version } }',
      { id, i: input() },
    );
    expect(codeOf(stale)).toBe('CONFLICT');
    expect(stale.data ?? null).toBeNull();

    const submitted = await call(
      'editor',
      'mutation($id: ID!) { submitContent(id: $id) { status version } }',
      { id },
    );
    expect(submitted).toEqual({ data: { submitContent: { status: 'IN_REVIEW', version: 2 } } });
    const withdrawn = await call(
      'editor',
      'mutation($id: ID!) { withdrawContent(id: $id, reason: "Replaced by a press note") { status history { action note } } }',
      { id },
    );
    expect(withdrawn.data?.withdrawContent).toMatchObject({
      status: 'WITHDRAWN',
      history: expect.arrayContaining([{ action: 'WITHDRAWN', note: 'Replaced by a press note' }]),
    });
  });

  it('answers COMPLIANCE_VIOLATION with extensions.violations, and BAD_USER_INPUT for structure', async () => {
    const id = await createContent({ targetAccountIds: [x(), ig()], title: 'BJP leaders at the mandi' });
    const refused = await call('editor', 'mutation($id: ID!) { submitContent(id: $id) { status } }', { id });
    expect(codeOf(refused)).toBe('COMPLIANCE_VIOLATION');
    expect(violationsOf(refused)).toEqual([
      'title:POLITICAL_NEUTRALITY',
      `variants[${ig()}].media:INSTAGRAM_MEDIA_REQUIRED`,
    ]);

    const unknown = await call(
      'editor',
      'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }',
      { d: agriId, i: input({ targetAccountIds: [`x-${health}`] }) },
    );
    expect(codeOf(unknown)).toBe('BAD_USER_INPUT');
    expect(violationsOf(unknown)).toEqual(['targetAccountIds:UNKNOWN_ACCOUNT']);
  });

  it('validates without saving: variants with their violations', async () => {
    const res = await call<{
      validateContent: {
        account: { id: string };
        platform: string;
        weightedLength: number;
        violations: { rule: string }[];
      }[];
    }>(
      'viewer',
      `query($d: ID!, $i: ContentInput!) { validateContent(departmentId: $d, input: $i) {
         account { id } platform weightedLength violations { rule } } }`,
      {
        d: agriId,
        i: input({
          targetAccountIds: [x(), ig()],
          body: [{ language: 'HI', text: 'क'.repeat(300) }],
          hashtags: [],
        }),
      },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.validateContent).toEqual([
      { account: { id: x() }, platform: 'X', weightedLength: 300, violations: [{ rule: 'X_TEXT_TOO_LONG' }] },
      {
        account: { id: ig() },
        platform: 'INSTAGRAM',
        weightedLength: 300,
        violations: [{ rule: 'INSTAGRAM_MEDIA_REQUIRED' }],
      },
    ]);
  });

  it('refuses writes to VIEWER with FORBIDDEN, and answers NOT_FOUND across departments', async () => {
    const id = await createContent();
    const viewerWrite = await call(
      'viewer',
      'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }',
      { d: agriId, i: input() },
    );
    expect(codeOf(viewerWrite)).toBe('FORBIDDEN');
    const viewerRead = await call('viewer', 'query($id: ID!) { content(id: $id) { id } }', { id });
    expect(viewerRead).toEqual({ data: { content: { id } } });
    const outsider = await call(
      'healthEditor',
      'mutation($id: ID!) { withdrawContent(id: $id, reason: "x") { id } }',
      { id },
    );
    expect(codeOf(outsider)).toBe('NOT_FOUND');
    // Federation: the gateway resolving a reference gets null for another department's content.
    const entities = await call(
      'healthEditor',
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Content { id } } }',
      { r: [{ __typename: 'Content', id }] },
    );
    expect(entities.data).toEqual({ _entities: [null] });
  });

  it('lists contents as a connection, bounded and isolated', async () => {
    await createContent({ title: 'Connection item' });
    const page = await call<{
      contents: {
        edges: { cursor: string; node: { title: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
        totalCount: number;
      };
    }>(
      'editor',
      '{ contents(first: 1) { edges { cursor node { title } } pageInfo { hasNextPage endCursor } totalCount } }',
    );
    expect(page.errors).toBeUndefined();
    expect(page.data?.contents.edges.map((e) => e.node.title)).toEqual(['Connection item']);
    expect(page.data?.contents.pageInfo).toEqual({
      hasNextPage: true,
      endCursor: page.data?.contents.edges[0].cursor,
    });
    const next = await call<{ contents: { edges: unknown[] } }>(
      'editor',
      'query($a: String) { contents(first: 100, after: $a) { edges { cursor } } }',
      { a: page.data?.contents.pageInfo.endCursor },
    );
    expect(next.data?.contents.edges.length).toBe((page.data?.contents.totalCount ?? 0) - 1);
    const tooMany = await call('editor', '{ contents(first: 101) { totalCount } }');
    expect(codeOf(tooMany)).toBe('BAD_USER_INPUT');
    expect(violationsOf(tooMany)).toEqual(['first:RANGE']);
    const leak = await call(
      'healthEditor',
      'query($d: ID!) { contents(filter: { departmentId: $d }) { totalCount edges { cursor } } }',
      {
        d: agriId,
      },
    );
    expect(leak).toEqual({ data: { contents: { totalCount: 0, edges: [] } } });
    const search = await call<{ contents: { edges: { node: { title: string } }[] } }>(
      'admin',
      'query($d: ID!) { contents(filter: { departmentId: $d, search: "CONNECTION", kinds: [ACHIEVEMENT], statuses: [DRAFT] }) { edges { node { title } } } }',
      { d: agriId },
    );
    expect(search.data?.contents.edges).toEqual([{ node: { title: 'Connection item' } }]);
  });

  it('lets the IT cell record ministers and the advertisement allow-list, and nobody else', async () => {
    const ministers = await call(
      'admin',
      'mutation($d: ID!) { setDepartmentMinisters(departmentId: $d, names: ["Aidal Singh Kansana", "ऐदल सिंह कंषाना"]) { code ministers } }',
      { d: agriId },
    );
    expect(ministers).toEqual({
      data: { setDepartmentMinisters: { code: agri, ministers: ['Aidal Singh Kansana', 'ऐदल सिंह कंषाना'] } },
    });
    const policy = await call(
      'admin',
      'mutation { setAdvertisementAllowList(roles: [PRIME_MINISTER, CHIEF_MINISTER], allowDepartmentMinister: true) { adPhotoAllowList allowDepartmentMinister updatedBy } }',
    );
    expect(policy).toEqual({
      data: {
        setAdvertisementAllowList: {
          adPhotoAllowList: ['PRIME_MINISTER', 'CHIEF_MINISTER'],
          allowDepartmentMinister: true,
          updatedBy: 'it-admin',
        },
      },
    });
    const read = await call(
      'viewer',
      '{ compliancePolicy { adPhotoAllowList } department: viewer { department { ministers } } }',
    );
    expect(read.data).toEqual({
      compliancePolicy: { adPhotoAllowList: ['PRIME_MINISTER', 'CHIEF_MINISTER'] },
      department: { department: { ministers: ['Aidal Singh Kansana', 'ऐदल सिंह कंषाना'] } },
    });
    for (const mutation of [
      'mutation($d: ID!) { setDepartmentMinisters(departmentId: $d, names: ["Me"]) { id } }',
      'mutation { setAdvertisementAllowList(roles: [MINISTER]) { allowDepartmentMinister } }',
    ])
      expect(codeOf(await call('deptAdmin', mutation, { d: agriId }))).toBe('FORBIDDEN');
  });
});
