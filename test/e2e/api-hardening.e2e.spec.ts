// Request-level fuzzing of the whole platform through the gateway (real services, real Kafka, real
// PostgreSQL): each class of issue 22 has a named test sending it with seeded random variations, and
// every answer is held to the same rules: no INTERNAL_SERVER_ERROR, no 5xx, every error with a code
// the contract documents (docs/api-contract.graphql), no service name, and no refused mutation
// changing data. Then the failures of issue 21: a subgraph down or hung answers UNAVAILABLE with
// retryAfter, logged once per outage, and no secret sent along reaches any process's log.
//
// Seeded and repeatable: FUZZ_SEED=<n> replays a run (the seed is in every finding).
import { randomUUID } from 'node:crypto';
import { departmentIdOf, type Role } from '@prasar/auth';
import { MAX_REQUEST_BODY_BYTES } from '@prasar/config';
import { portsFor, startStack, tokenFor, type RunningStack } from '@prasar/testing';
import { documentedErrorCodes } from '../../services/gateway/src/contract';

const PORTS = portsFor(21000);
const SEED = Number(process.env.FUZZ_SEED ?? 22_021);
const CODES = new Set(documentedErrorCodes());

/** mulberry32: a small seeded PRNG, so a run can be replayed exactly. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
  };
}
type Random = ReturnType<typeof prng>;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body?: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[];
  };
}

/** A random string of the given length from awkward characters (NUL, quotes, emoji, Devanagari). */
function junk(random: Random, length: number): string {
  const alphabet = [
    'a',
    'Z',
    '0',
    ' ',
    '"',
    '\\',
    '{',
    '}',
    '$',
    '\u0000',
    '\u0007',
    '\n',
    '🌾',
    'कि',
    '%',
    '&',
  ];
  return Array.from({ length }, () => random.pick(alphabet)).join('');
}

describe('API hardening: request-level fuzzing through the gateway', () => {
  let stack: RunningStack;
  let graphqlUrl: string;
  const run = randomUUID().slice(0, 8);
  const deptCode = `fuzz-${run}`;
  const deptId = departmentIdOf(deptCode);
  const tokens: Partial<Record<Role | 'editor', string>> = {};
  /** Every rule an answer of the current test broke, with the request that got it. */
  const findings: string[] = [];

  beforeAll(async () => {
    stack = await startStack({
      ports: PORTS,
      // info: the secret search reads every line a process writes at the default level; a short
      // upstream timeout makes a hung subgraph answer within the test.
      extraEnv: { LOG_LEVEL: 'info', GATEWAY_UPSTREAM_TIMEOUT_MS: '4000' },
    });
    graphqlUrl = stack.gatewayUrl;
    for (const role of ['IT_CELL_ADMIN', 'DEPT_ADMIN', 'DEPT_APPROVER', 'VIEWER', 'INTEGRATION'] as const)
      tokens[role] = await tokenFor({ subject: `fuzz-${role}`, roles: [role], department: deptCode });
    tokens.editor = await tokenFor({ subject: 'fuzz-editor', roles: ['DEPT_EDITOR'], department: deptCode });
    const created = await post({
      query: 'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
      variables: { i: { code: deptCode, name: 'Fuzzing', nameHi: 'फ़ज़िंग' } },
    });
    expect(created.body?.errors).toBeUndefined();
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  // Each test answers for its own requests.
  beforeEach(() => {
    findings.length = 0;
  });

  /** Holds one answer to the rules every answer must keep; breaks go to `findings`. */
  function audit(label: string, answer: Answer): Answer {
    const where = `[seed ${SEED}] ${label}: ${answer.status} ${answer.text.slice(0, 300)}`;
    if (answer.status >= 500) findings.push(`5xx ${where}`);
    if (!answer.body) {
      findings.push(`not a JSON GraphQL answer ${where}`);
      return answer;
    }
    for (const error of answer.body.errors ?? []) {
      const code = error.extensions?.code;
      if (code === 'INTERNAL_SERVER_ERROR') findings.push(`INTERNAL_SERVER_ERROR ${where}`);
      else if (typeof code !== 'string' || !CODES.has(code)) findings.push(`undocumented code ${where}`);
    }
    if (/serviceName/.test(answer.text)) findings.push(`serviceName ${where}`);
    if (/\.ts:\d+|stacktrace|node_modules/.test(answer.text)) findings.push(`internals ${where}`);
    return answer;
  }

  async function send(label: string, init: RequestInit & { url?: string }): Promise<Answer> {
    const response = await fetch(init.url ?? graphqlUrl, init);
    const text = await response.text();
    let body: Answer['body'];
    try {
      body = JSON.parse(text) as Answer['body'];
    } catch {
      body = undefined;
    }
    return audit(label, { status: response.status, headers: response.headers, text, body });
  }

  function post(
    payload: unknown,
    options: { token?: string | null; label?: string; contentType?: string } = {},
  ): Promise<Answer> {
    const token = options.token === undefined ? tokens.IT_CELL_ADMIN : options.token;
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return send(options.label ?? body.slice(0, 120), {
      method: 'POST',
      headers: {
        'content-type': options.contentType ?? 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body,
    });
  }

  function codesOf(answer: Answer): string[] {
    return (answer.body?.errors ?? []).map((e) => String(e.extensions?.code));
  }

  /** The department's contents and all departments: what a refused mutation must leave as it was. */
  async function snapshot(): Promise<string> {
    const answer = await post({
      query:
        'query($d: ID!) { contents(filter: { departmentId: $d }, first: 100) { totalCount edges { node { id version status title } } } departments { id code name } }',
      variables: { d: deptId },
    });
    expect(answer.body?.errors).toBeUndefined();
    return JSON.stringify(answer.body?.data);
  }

  const CREATE_CONTENT =
    'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }';
  const content = (overrides: Record<string, unknown> = {}) => ({
    kind: 'ACHIEVEMENT',
    title: 'Wheat procurement',
    body: [{ language: 'EN', text: 'Ten million tonnes procured' }],
    targetAccountIds: [randomUUID()],
    ...overrides,
  });

  it('class 1: refuses a subscription, and any operation type the supergraph does not serve, as BAD_REQUEST', async () => {
    const random = prng(SEED + 1);
    for (let i = 0; i < 25; i++) {
      const name = random.chance(0.5) ? ` S${i}` : '';
      const field = random.pick(['viewer { name }', '__typename', 'contentChanged { id }', 'x']);
      const query = random.chance(0.3)
        ? `query Q { __typename } subscription${name || ' T'} { ${field} }`
        : `subscription${name} { ${field} }`;
      const answer = await post({ query, ...(query.startsWith('query') ? { operationName: 'Q' } : {}) });
      expect(codesOf(answer)).toEqual(['BAD_REQUEST']);
      expect(answer.body?.errors?.[0].message).toMatch(/does not serve subscription operations/);
      expect(answer.body?.data).toBeUndefined();
    }
    expect(findings).toEqual([]);
  });

  it('class 2: one body limit, refused first at the gateway with 413 naming it, accepted below it by every service', async () => {
    const random = prng(SEED + 2);
    for (let i = 0; i < 6; i++) {
      // A body the gateway passes on with its variables (100 KB–limit): a service behind it must take it.
      const size = random.int(100 * 1024, MAX_REQUEST_BODY_BYTES - 2048);
      const text = 'क'.repeat(Math.floor(size / 3)); // 3 bytes each in UTF-8
      const answer = await post({
        query:
          'query($d: ID!, $i: ContentInput!) { validateContent(departmentId: $d, input: $i) { platform } }',
        variables: { d: deptId, i: content({ body: [{ language: 'HI', text }] }) },
      });
      expect(answer.status).toBe(200);
      expect(
        codesOf(answer).every((c) => ['BAD_USER_INPUT', 'COMPLIANCE_VIOLATION', 'NOT_FOUND'].includes(c)),
      ).toBe(true);
    }
    const before = await snapshot();
    for (let i = 0; i < 4; i++) {
      const over = MAX_REQUEST_BODY_BYTES + random.int(1, 200 * 1024);
      const title = 'x'.repeat(over);
      const answer = await post({ query: CREATE_CONTENT, variables: { d: deptId, i: content({ title }) } });
      expect(answer.status).toBe(413);
      expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
      expect(answer.body?.errors?.[0].message).toContain(String(MAX_REQUEST_BODY_BYTES));
    }
    expect(await snapshot()).toBe(before);
    expect(findings).toEqual([]);
  });

  it('class 3: refuses NUL characters and malformed IDs as BAD_USER_INPUT before the database, changing nothing', async () => {
    const random = prng(SEED + 3);
    const before = await snapshot();
    const badIds = () =>
      random.pick(['a\u0000b', '\u0000', '', ' ', 'x y', 'z'.repeat(200), `${randomUUID()}\u0000`]);
    for (let i = 0; i < 30; i++) {
      const kind = random.int(0, 4);
      let answer: Answer;
      if (kind === 0) {
        answer = await post(
          {
            query: CREATE_CONTENT,
            variables: { d: deptId, i: content({ targetAccountIds: [randomUUID(), badIds()] }) },
          },
          { token: tokens.editor },
        );
      } else if (kind === 1) {
        const title = `${junk(random, random.int(0, 10))}\u0000${junk(random, random.int(0, 10))}`;
        answer = await post(
          { query: CREATE_CONTENT, variables: { d: deptId, i: content({ title }) } },
          { token: tokens.editor },
        );
      } else if (kind === 2) {
        answer = await post({
          query: 'query($id: ID!) { content(id: $id) { id } }',
          variables: { id: badIds() },
        });
      } else if (kind === 3) {
        answer = await post({
          query:
            'mutation($d: ID!, $n: [String!]!) { setDepartmentMinisters(departmentId: $d, names: $n) { id } }',
          variables: { d: deptId, n: ['Shri A', `B\u0000${junk(random, 3)}`] },
        });
      } else {
        answer = await post({
          query: 'query($s: String) { contents(filter: { search: $s }) { totalCount } }',
          variables: { s: `${junk(random, 4)}\u0000` },
        });
      }
      expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
      expect(answer.body?.errors?.[0].extensions?.violations).toEqual([
        expect.objectContaining({ rule: expect.stringMatching(/^(noNul|idFormat)$/) }),
      ]);
    }
    expect(await snapshot()).toBe(before);
    expect(findings).toEqual([]);
  });

  it('class 4: refuses a GET with malformed variables as BAD_REQUEST', async () => {
    const random = prng(SEED + 4);
    const query = encodeURIComponent('query($id: ID!) { content(id: $id) { id } }');
    for (let i = 0; i < 25; i++) {
      const variables = random.pick([
        junk(random, random.int(1, 20)),
        '{"id":',
        '[1,2]',
        '"a string"',
        '42',
        `{${junk(random, 5)}}`,
      ]);
      const answer = await send(`GET variables=${variables}`, {
        method: 'GET',
        url: `${graphqlUrl}?query=${query}&variables=${encodeURIComponent(variables)}`,
        headers: { authorization: `Bearer ${tokens.VIEWER}` },
      });
      expect(answer.status).toBe(400);
      expect(codesOf(answer)).toEqual(['BAD_REQUEST']);
    }
    expect(findings).toEqual([]);
  });

  it('class 5: gives variable coercion errors BAD_USER_INPUT, and answers 415 and 431 with a JSON body saying what is accepted', async () => {
    const random = prng(SEED + 5);
    const before = await snapshot();
    // Values an ID variable cannot take (strings and integers are IDs).
    const wrongValues = [5.5, true, { id: 1 }, ['a'], null, -0.5, [null]];
    for (let i = 0; i < 30; i++) {
      const shape = random.int(0, 3);
      let payload: { query: string; variables: Record<string, unknown> };
      if (shape === 0) {
        payload = {
          query: 'query($id: ID!) { content(id: $id) { id } }',
          variables: { id: random.pick(wrongValues) },
        };
        if (payload.variables.id === null || random.chance(0.3)) payload.variables = {}; // missing or null
      } else if (shape === 1) {
        payload = {
          query: CREATE_CONTENT,
          variables: { d: deptId, i: content({ kind: random.pick(['NEWS', 'achievement', 3, null]) }) },
        };
      } else if (shape === 2) {
        payload = {
          query: 'query($f: Int) { contents(first: $f) { totalCount } }',
          variables: { f: random.pick(['ten', 2 ** 40, 1.5, [3]]) },
        };
      } else {
        payload = {
          query: CREATE_CONTENT,
          variables: { d: deptId, i: { ...content(), title: random.pick([null, 7, ['t']]) } },
        };
      }
      const answer = await post(payload, { token: tokens.editor });
      expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
      expect(answer.body?.errors?.[0].extensions?.violations).toEqual([
        expect.objectContaining({ field: expect.stringMatching(/^variables\./), rule: 'type' }),
      ]);
    }
    for (const contentType of [
      'text/plain',
      'application/graphql',
      'multipart/form-data',
      'application/xml',
    ]) {
      const answer = await post('{ viewer { name } }', { contentType });
      expect(answer.status).toBe(415);
      expect(codesOf(answer)).toEqual(['BAD_REQUEST']);
      expect(answer.body?.errors?.[0].message).toMatch(/application\/json/);
    }
    for (let i = 0; i < 3; i++) {
      const answer = await send('long GET URL', {
        method: 'GET',
        url: `${graphqlUrl}?query=${encodeURIComponent(`{ viewer { name } } #${'x'.repeat(random.int(70_000, 200_000))}`)}`,
        headers: { authorization: `Bearer ${tokens.VIEWER}` },
      });
      expect(answer.status).toBe(431);
      expect(codesOf(answer)).toEqual(['BAD_REQUEST']);
      expect(answer.body?.errors?.[0].message).toMatch(/POST body/);
    }
    expect(await snapshot()).toBe(before);
    expect(findings).toEqual([]);
  });

  it('class 6: a field error in a mutation’s result never hides its effect (createDepartment selecting a scorecard)', async () => {
    const random = prng(SEED + 6);
    const at = (offsetDays: number) => new Date(Date.UTC(2026, 5, 1) + offsetDays * 86_400_000).toISOString();
    for (let i = 0; i < 6; i++) {
      const code = `fuzz6-${run}-${i}`;
      const from = random.int(-4000, 400);
      const to = random.pick([from, from - random.int(1, 30), from + random.int(1, 30), from + 5000]);
      const created = await post({
        query:
          'mutation($i: DepartmentInput!, $f: DateTime!, $t: DateTime!) { createDepartment(input: $i) { id code scorecard(from: $f, to: $t) { from published topPosts(limit: 500) { id } } } }',
        variables: { i: { code, name: `Fuzz ${i}`, nameHi: 'फ़ज़' }, f: at(from), t: at(to) },
      });
      expect(created.body?.errors).toBeUndefined();
      expect(created.body?.data?.createDepartment).toMatchObject({
        id: departmentIdOf(code),
        code,
        scorecard: { published: 0, topPosts: [] },
      });
      // The caller knows it worked: a retry is refused as the duplicate it is.
      const again = await post({
        query: 'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
        variables: { i: { code, name: `Fuzz ${i}`, nameHi: 'फ़ज़' } },
      });
      expect(codesOf(again)).toEqual(['CONFLICT']);
    }
    expect(findings).toEqual([]);
  });

  it('class 7: answers only documented codes and never a service name, whatever is sent (seeded random mix)', async () => {
    const random = prng(SEED + 7);
    const before = await snapshot();
    const roles = [...Object.values(tokens), null, 'garbage', 'eyJhbGciOiJIUzI1NiJ9.e30.x'];
    const queries = [
      '{ viewer { name roles } }',
      '{ nope }',
      '{ content(id: "00000000-0000-4000-8000-000000000000") { id title approval { state } } }',
      `{ department(id: "${deptId}") { code accounts { id } scorecard(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { published } } }`,
      '{ contents(first: 5) { totalCount edges { node { id publications { state } metrics { likes } } } } }',
      '{ stateOverview(date: "2026-03-11") { date } }',
      '{ content(id: 1',
      'query A { __typename } query B { __typename }',
      '{ calendar(from: "2026-01-01T00:00:00Z", to: "bad") { id } }',
      `mutation { withdrawContent(id: "${randomUUID()}", reason: "fuzz") { id } }`,
      `mutation { submitContent(id: "${randomUUID()}") { id } }`,
      `mutation { setWorkflow(departmentId: "${deptId}", stages: []) { name } }`,
    ];
    for (let i = 0; i < 120; i++) {
      const token = random.pick(roles);
      const variation = random.int(0, 5);
      if (variation === 0) {
        await post(junk(random, random.int(0, 40)), { token, label: `junk body ${i}` });
      } else if (variation === 1) {
        await post(
          { query: random.pick(queries), operationName: random.chance(0.2) ? 'Nope' : undefined },
          { token },
        );
      } else if (variation === 2) {
        await post(
          {
            query: CREATE_CONTENT,
            variables: { d: random.pick([deptId, randomUUID(), 'x y']), i: content({ kind: 'NEWS' }) },
          },
          { token },
        );
      } else if (variation === 3) {
        await send(`GET ${i}`, {
          method: 'GET',
          url: `${graphqlUrl}?query=${encodeURIComponent(random.pick(queries))}${random.chance(0.3) ? '&variables=%7B' : ''}`,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
      } else if (variation === 4) {
        await post(
          {
            query: `{ ${Array.from({ length: random.int(1, 40) }, (_, k) => `a${k}: viewer { name }`).join(' ')} }`,
          },
          { token },
        );
      } else {
        await post({ query: random.pick(queries), variables: junk(random, 3) }, { token });
      }
    }
    expect(await snapshot()).toBe(before);
    expect(findings).toEqual([]);
  });

  describe('failures that say what to do, and no secret in any log', () => {
    const secrets = {
      accessToken: `AT-${run}-S3CRET-ACCESS`,
      refreshToken: `RT-${run}-S3CRET-REFRESH`,
      clientSecret: `CS-${run}-S3CRET-CLIENT`,
      bearer: `eyJ${run}S3CRETBEARER.eyJzdWIiOiJ4In0.c2ln`,
    };
    const connect = (label: string) =>
      post(
        {
          query:
            'mutation($i: AccountInput!, $o: AccountOptionsInput) { connectAccount(input: $i, options: $o) { id } }',
          variables: {
            i: {
              departmentId: deptId,
              platform: 'X',
              handle: '@fuzz',
              accessToken: secrets.accessToken,
              externalAccountId: `ext-${run}`,
            },
            o: { refreshToken: secrets.refreshToken, clientId: 'c', clientSecret: secrets.clientSecret },
          },
        },
        { label },
      );

    it('answers UNAVAILABLE with retryAfter while a subgraph is down, logs the outage once, and recovers', async () => {
      const mark = stack.logs.length;
      const gatewayLines = (pattern: RegExp) =>
        stack.logs.slice(mark).filter((l) => l.startsWith('gateway|') && pattern.test(l));
      await stack.stopService('analytics');
      const scorecard = `{ department(id: "${deptId}") { code scorecard(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { published } } }`;
      for (let i = 0; i < 15; i++) {
        const answer = await post({ query: scorecard });
        expect(answer.status).toBe(200);
        expect(answer.headers.get('retry-after')).toBe('5');
        expect(answer.body?.errors).toEqual([
          expect.objectContaining({ extensions: { code: 'UNAVAILABLE', retryAfter: 5 } }),
        ]);
      }
      await stack.stopService('publisher');
      for (let i = 0; i < 5; i++)
        expect(codesOf(await connect('connectAccount, publisher down'))).toEqual(['UNAVAILABLE']);
      expect(gatewayLines(/subgraph analytics is unavailable/)).toHaveLength(1);
      expect(gatewayLines(/subgraph publisher is unavailable/)).toHaveLength(1);
      expect(gatewayLines(/"level":"error"/)).toEqual([]);

      await stack.startService('analytics');
      await stack.startService('publisher');
      const back = await post({ query: scorecard });
      expect(back.body).toEqual({ data: { department: { code: deptCode, scorecard: { published: 0 } } } });
      expect(gatewayLines(/subgraph analytics is available again/)).toHaveLength(1);
      expect(findings).toEqual([]);
    });

    it('answers UNAVAILABLE when a subgraph hangs past the upstream timeout', async () => {
      stack.pauseService('analytics');
      try {
        const answer = await post({
          query: `{ department(id: "${deptId}") { scorecard(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { published } } }`,
        });
        expect(answer.body?.errors).toEqual([
          expect.objectContaining({ extensions: { code: 'UNAVAILABLE', retryAfter: 5 } }),
        ]);
      } finally {
        stack.resumeService('analytics');
      }
      expect(findings).toEqual([]);
    });

    it('writes no secret sent along to any log: subgraph down, timeout, refused call, validation error, bad token', async () => {
      await stack.stopService('publisher');
      await connect('connectAccount, publisher down');
      await stack.startService('publisher');
      stack.pauseService('publisher');
      try {
        await connect('connectAccount, publisher hung');
      } finally {
        stack.resumeService('publisher');
      }
      await connect('connectAccount, as it is'); // refused or accepted by the publisher: either way not logged
      await post(
        {
          query: 'mutation($i: AccountInput!) { connectAccount(input: $i) { id } }',
          variables: {
            i: {
              departmentId: deptId,
              platform: 'X',
              handle: 'h',
              accessToken: secrets.accessToken,
              externalAccountId: 'e',
            },
          },
        },
        { token: tokens.VIEWER, label: 'connectAccount, refused role' },
      );
      await post(
        { query: `{ nope(password: "${secrets.clientSecret}") }`, variables: { token: secrets.accessToken } },
        { label: 'validation error' },
      );
      await post(
        {
          query: 'query($t: Int) { contents(first: $t) { totalCount } }',
          variables: { t: secrets.refreshToken },
        },
        { label: 'coercion error' },
      );
      await post({ query: '{ viewer { name } }' }, { token: secrets.bearer, label: 'bad token' });
      await send('bad token over GET', {
        method: 'GET',
        url: `${graphqlUrl}?query=${encodeURIComponent('{ viewer { name } }')}`,
        headers: { authorization: `Bearer ${secrets.bearer}` },
      });
      // Let the processes write what they would.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const logs = stack.logs.join('\n');
      expect(logs.length).toBeGreaterThan(0);
      expect(stack.logs.some((l) => l.startsWith('gateway|'))).toBe(true);
      for (const [name, value] of Object.entries(secrets)) {
        const hits = stack.logs.filter((line) => line.includes(value));
        expect({ name, hits }).toEqual({ name, hits: [] });
      }
      expect(findings).toEqual([]);
    });
  });
});
