// End to end through the gateway: real services as separate processes, real Kafka, real PostgreSQL.
import { randomUUID } from 'node:crypto';
import { departmentIdOf } from '@prasar/auth';
import { Client } from 'pg';
import {
  eventually,
  gql,
  portsFor,
  readInfraEnv,
  startStack,
  tokenFor,
  type RunningStack,
} from '@prasar/testing';
import { TOPICS } from '@prasar/contracts';
import { announceAccount, messagesSince, topicEnds } from './support';

const PORTS = portsFor(25000);

describe('foundation: a content item through the gateway', () => {
  let stack: RunningStack;
  // Fresh department codes per run, so the test never depends on what an earlier run left.
  const run = randomUUID().slice(0, 8);
  const agriCode = `agri-${run}`;
  const healthCode = `health-${run}`;
  let admin: string;
  let agriEditor: string;
  let healthEditor: string;

  beforeAll(async () => {
    stack = await startStack({ ports: PORTS });
    admin = await tokenFor({ subject: 'it-admin', roles: ['IT_CELL_ADMIN'] });
    agriEditor = await tokenFor({
      subject: `editor-${agriCode}`,
      roles: ['DEPT_EDITOR'],
      department: agriCode,
    });
    healthEditor = await tokenFor({
      subject: `editor-${healthCode}`,
      roles: ['DEPT_EDITOR'],
      department: healthCode,
    });
    for (const [code, name, nameHi] of [
      [agriCode, 'Farmer Welfare and Agriculture Development', 'किसान कल्याण तथा कृषि विकास विभाग'],
      [healthCode, 'Public Health and Family Welfare', 'लोक स्वास्थ्य एवं परिवार कल्याण विभाग'],
    ]) {
      const res = await gql(
        stack.gatewayUrl,
        'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id code } }',
        { i: { code, name, nameHi } },
        admin,
      );
      expect(res.errors).toBeUndefined();
    }
    await announceAccount(`x-${agriCode}`, departmentIdOf(agriCode), '@mp_agri');
    // Intake learns the account from the event; wait until it accepts it as a target.
    await eventually(async () => {
      const res = await gql(
        stack.gatewayUrl,
        'query($d: ID!, $i: ContentInput!) { validateContent(departmentId: $d, input: $i) { platform } }',
        { d: departmentIdOf(agriCode), i: achievement },
        agriEditor,
      );
      expect(res.errors).toBeUndefined();
    }, 30_000);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const createMutation = `
    mutation($d: ID!, $i: ContentInput!) {
      createContent(departmentId: $d, input: $i) { id status version department { code nameHi } }
    }`;
  const achievement = {
    kind: 'ACHIEVEMENT',
    title: 'Record wheat procurement',
    body: [
      { language: 'HI', text: 'प्रदेश में 1 करोड़ मीट्रिक टन गेहूं का उपार्जन, किसानों को ₹2,600 प्रति क्विंटल' },
      { language: 'EN', text: 'Madhya Pradesh procured 10 million tonnes of wheat 🌾' },
    ],
    hashtags: ['#MPKisan', 'किसान'],
    targetAccountIds: [`x-${agriCode}`],
  };

  it('creates and submits content, and one query reads IN_REVIEW with a PENDING approval once the event has travelled', async () => {
    const created = await gql<{
      createContent: { id: string; status: string; version: number; department: { code: string } };
    }>(stack.gatewayUrl, createMutation, { d: departmentIdOf(agriCode), i: achievement }, agriEditor);
    expect(created.errors).toBeUndefined();
    expect(created.data?.createContent).toMatchObject({
      status: 'DRAFT',
      version: 1,
      department: { code: agriCode },
    });
    const id = created.data!.createContent.id;

    const submitted = await gql(
      stack.gatewayUrl,
      'mutation($id: ID!) { submitContent(id: $id) { status } }',
      { id },
      agriEditor,
    );
    expect(submitted.errors).toBeUndefined();
    expect(submitted.data).toEqual({ submitContent: { status: 'IN_REVIEW' } });

    const read = await eventually(async () => {
      const res = await gql<{
        content: { status: string; approval: { state: string; stages: { role: string }[] } | null };
      }>(
        stack.gatewayUrl,
        'query($id: ID!) { content(id: $id) { status approval { state stages { role requiredApprovals state } } } }',
        { id },
        agriEditor,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data?.content.approval).not.toBeNull();
      return res.data!.content;
    });
    expect(read).toEqual({
      status: 'IN_REVIEW',
      approval: {
        state: 'PENDING',
        stages: [{ role: 'DEPT_APPROVER', requiredApprovals: 1, state: 'PENDING' }],
      },
    });
  });

  /** A query on intake's database as the platform (row-level security shows nothing without a tenant). */
  async function intakeQuery(sql: string, params: unknown[]): Promise<{ n: number }[]> {
    const db = new Client({ connectionString: readInfraEnv().DATABASE_URLS.intake });
    await db.connect();
    try {
      await db.query(`SELECT set_config('prasar.department_id', '*', false)`);
      return (await db.query(sql, params)).rows;
    } finally {
      await db.end();
    }
  }
  const draftsByEditor = async () =>
    (
      await intakeQuery(`SELECT count(*)::int AS n FROM contents WHERE created_by = $1`, [
        `editor-${agriCode}`,
      ])
    )[0].n;

  it('answers a createContent retried with its idempotency key with the first draft, whose ContentCreated reaches Kafka once', async () => {
    const since = await topicEnds(TOPICS.content);
    const draftsBefore = await draftsByEditor();
    const keyed = `
      mutation($d: ID!, $i: ContentInput!, $k: String) {
        createContent(departmentId: $d, input: $i, idempotencyKey: $k) { id status version }
      }`;
    const key = `retry-${run}`;
    const send = (i: Record<string, unknown>, token = agriEditor) =>
      gql<{ createContent: { id: string } }>(
        stack.gatewayUrl,
        keyed,
        { d: departmentIdOf(agriCode), i, k: key },
        token,
      );
    const first = await send(achievement);
    expect(first.errors).toBeUndefined();
    const retried = await send(achievement);
    expect(retried).toEqual(first);
    const id = first.data!.createContent.id;

    const changed = await send({ ...achievement, title: 'Another title' });
    expect(changed.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(changed.errors?.[0].message).toMatch(/idempotency key was already used/);
    const invalid = await gql(
      stack.gatewayUrl,
      keyed,
      { d: departmentIdOf(agriCode), i: achievement, k: 'with space' },
      agriEditor,
    );
    expect(invalid.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    expect(await draftsByEditor()).toBe(draftsBefore + 1);
    const audit = await intakeQuery(
      `SELECT count(*)::int AS n FROM audit_entries WHERE content_id = $1 AND action = 'CREATED'`,
      [id],
    );
    expect(audit[0].n).toBe(1);
    // The outbox relay publishes after the commit: wait for the event, then check no second one follows.
    const createdEvents = async () =>
      (await messagesSince(TOPICS.content, since)).filter(
        (m) => m.key === id && m.type.endsWith('.ContentCreated'),
      );
    await eventually(async () => expect(await createdEvents()).toHaveLength(1), 30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await createdEvents()).toHaveLength(1);
  });

  it('refuses a request without a token with UNAUTHENTICATED', async () => {
    const res = await gql(stack.gatewayUrl, '{ viewer { subject } }');
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses forged and expired tokens with UNAUTHENTICATED', async () => {
    const expired = await tokenFor({
      subject: 'late',
      roles: ['VIEWER'],
      department: agriCode,
      ttlSeconds: -120,
    });
    const valid = await tokenFor({ subject: 'v', roles: ['VIEWER'], department: agriCode });
    const [header, payload, signature] = valid.split('.');
    const elevated = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload, 'base64url').toString()),
        roles: ['IT_CELL_ADMIN'],
      }),
    ).toString('base64url');
    const forged = `${header}.${elevated}.${signature}`;
    for (const token of [expired, forged, 'not-a-jwt']) {
      const res = await gql(stack.gatewayUrl, '{ viewer { subject } }', {}, token);
      expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(res.data ?? null).toBeNull();
    }
  });

  it("answers NOT_FOUND when an editor asks for another department's content, exactly as for a missing id", async () => {
    const created = await gql<{ createContent: { id: string } }>(
      stack.gatewayUrl,
      createMutation,
      { d: departmentIdOf(agriCode), i: achievement },
      agriEditor,
    );
    const id = created.data!.createContent.id;
    const query = 'query($id: ID!) { content(id: $id) { id title } }';
    const other = await gql(stack.gatewayUrl, query, { id }, healthEditor);
    const missing = await gql(stack.gatewayUrl, query, { id: randomUUID() }, healthEditor);
    expect(other.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(other.data?.content ?? null).toBeNull();
    expect(other.errors?.[0].message.replace(id, '<id>')).toBe(
      missing.errors?.[0].message.replace(/[0-9a-f-]{36}/, '<id>'),
    );

    // Nor may the other department create content in the first one or see it in its list.
    const intrusion = await gql(
      stack.gatewayUrl,
      createMutation,
      { d: departmentIdOf(agriCode), i: achievement },
      healthEditor,
    );
    expect(intrusion.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const departments = await gql<{ departments: { code: string }[] }>(
      stack.gatewayUrl,
      '{ departments { code } }',
      {},
      healthEditor,
    );
    expect(departments.data?.departments).toEqual([{ code: healthCode }]);
  });

  const contentCount = async () =>
    (
      await intakeQuery('SELECT count(*)::int AS n FROM contents WHERE department_id = $1', [
        departmentIdOf(agriCode),
      ])
    )[0].n;

  it('refuses bad input with BAD_USER_INPUT and violations, and creates nothing', async () => {
    const before = await contentCount();
    const res = await gql(
      stack.gatewayUrl,
      createMutation,
      {
        d: departmentIdOf(agriCode),
        i: {
          kind: 'ORDER',
          title: ' ',
          body: [{ language: 'HI', text: '' }],
          media: [{ url: 'https://img.mp.gov.in/a.jpg', mimeType: 'image/jpeg', altText: '' }],
          targetAccountIds: [`x-${agriCode}`],
        },
      },
      agriEditor,
    );
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const rules = (res.errors?.[0].extensions?.violations as { field: string; rule: string }[]).map(
      (v) => `${v.field}:${v.rule}`,
    );
    expect(rules.sort()).toEqual([
      'body:BODY_REQUIRED',
      'evidence:EVIDENCE_REQUIRED',
      'media[0].altText:ALT_TEXT_REQUIRED',
      'title:REQUIRED',
    ]);
    expect(await contentCount()).toBe(before);
  });

  it('lets only the IT cell create departments', async () => {
    const res = await gql(
      stack.gatewayUrl,
      'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
      { i: { code: `x-${run}`, name: 'X', nameHi: 'एक्स' } },
      agriEditor,
    );
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('answers an internal failure without a stack trace', async () => {
    // A syntactically valid id that is not a UUID must be a clean NOT_FOUND, never a database error.
    const res = await gql(stack.gatewayUrl, 'query { content(id: "not-a-uuid") { id } }', {}, agriEditor);
    expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(JSON.stringify(res)).not.toMatch(/at \w+ \(|stacktrace/);
  });

  it("does not log a caller's refusals as errors of the platform", async () => {
    const marker = `refusal-${run}`;
    const res = await gql(
      stack.gatewayUrl,
      'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
      { i: { code: marker, name: 'X', nameHi: 'एक्स' } },
      agriEditor,
    );
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    // The services log at warn and above here: a refusal must leave no line (Nest's handler logged
    // every DomainError with its stack before DomainError became an IntrinsicException).
    await new Promise((r) => setTimeout(r, 300));
    expect(
      stack.logs.filter((line) => /ExceptionsHandler|may create departments|FORBIDDEN/.test(line)),
    ).toEqual([]);
  });
});
