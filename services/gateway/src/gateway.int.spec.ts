// The gateway end to end: main.ts run as its own process (as `nx serve gateway` runs it; the Rust
// planner's native addon is loaded through a dynamic import that Jest's module sandbox cannot run),
// with the committed supergraph, a JWKS generated here and two fake subgraphs built from the real
// subgraph SDL files, once per query planner.
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { signDevToken } from '@prasar/auth';
import { parse } from 'graphql';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { subgraphs } from './subgraphs';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'prasar-api';
const REPO = resolve(__dirname, '../../..');

interface GraphQLResponse {
  data?: Record<string, unknown> | null;
  errors?: {
    message: string;
    path?: string[];
    extensions?: { code?: string; violations?: { field: string; rule: string; message: string }[] };
  }[];
}

interface SeenRequest {
  subgraph: string;
  authorization?: string;
  traceparent?: string;
}

/** Two fake subgraphs from the real SDL, implementing a few fields and recording what reached them. */
async function startFakeSubgraphs() {
  const seen: SeenRequest[] = [];
  const sdl = (name: string) => parse(readFileSync(subgraphs.find((s) => s.name === name)!.sdlPath, 'utf8'));
  const content = (id: string) => {
    if (id === 'crash') throw new Error('connection to db-primary:5432 refused (password=hunter2)');
    return { id, title: `Title of ${id}` };
  };
  const intake = new ApolloServer({
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    schema: buildSubgraphSchema({
      typeDefs: sdl('intake'),
      resolvers: {
        Query: {
          content: (_: unknown, args: { id: string }) => content(args.id),
          viewer: () => ({ subject: 'u1', name: 'Asha', roles: ['DEPT_EDITOR'] }),
        },
        Content: { __resolveReference: (ref: { id: string }) => content(ref.id) },
      } as never,
    }),
  });
  const approval = new ApolloServer({
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    schema: buildSubgraphSchema({
      typeDefs: sdl('approval'),
      resolvers: {
        Content: {
          __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
          approval: (c: { id: string }) => ({
            id: `approval-${c.id}`,
            contentVersion: 1,
            state: 'PENDING',
            stages: [],
          }),
        },
      } as never,
    }),
  });
  const record =
    (subgraph: string) =>
    async ({ req }: { req: IncomingMessage }) => {
      const traceparent = req.headers.traceparent;
      seen.push({
        subgraph,
        authorization: req.headers.authorization,
        traceparent: typeof traceparent === 'string' ? traceparent : undefined,
      });
      return {};
    };
  const a = await startStandaloneServer(intake, {
    listen: { port: 0, host: '127.0.0.1' },
    context: record('intake'),
  });
  const b = await startStandaloneServer(approval, {
    listen: { port: 0, host: '127.0.0.1' },
    context: record('approval'),
  });
  return {
    intakeUrl: a.url,
    approvalUrl: b.url,
    seen,
    stop: () => Promise.all([intake.stop(), approval.stop()]),
  };
}

async function keyPair(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } as JWK,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' } as JWK,
  };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
}

/** Starts main.ts and resolves once /healthz answers 200; rejects with its stderr if it dies first. */
async function startGateway(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'services/gateway/src/main.ts'], {
    cwd: REPO,
    env: { ...process.env, ...env, PORT: String(port), NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}: ${stderr}`);
    const healthy = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) return { child, url, stderr: () => stderr };
    await new Promise((done) => setTimeout(done, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`gateway did not become healthy: ${stderr}`);
}

describe.each(['rust', 'js'] as const)('gateway with the %s query planner', (planner) => {
  let fakes: Awaited<ReturnType<typeof startFakeSubgraphs>>;
  let gateway: ChildProcess;
  let gatewayStderr: () => string;
  let url: string;
  let token: string;
  let trusted: Awaited<ReturnType<typeof keyPair>>;

  beforeAll(async () => {
    fakes = await startFakeSubgraphs();
    trusted = await keyPair('test-key');
    const dir = mkdtempSync(join(tmpdir(), 'gateway-jwks-'));
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [trusted.publicJwk] }));
    token = await signDevToken(
      trusted.privateJwk,
      { subject: 'u1', roles: ['DEPT_EDITOR'], department: 'agriculture' },
      ISSUER,
      AUDIENCE,
    );
    ({
      child: gateway,
      url,
      stderr: gatewayStderr,
    } = await startGateway({
      AUTH_JWKS_FILE: join(dir, 'jwks.json'),
      AUTH_ISSUER: ISSUER,
      AUTH_AUDIENCE: AUDIENCE,
      INTAKE_URL: fakes.intakeUrl,
      APPROVAL_URL: fakes.approvalUrl,
      GATEWAY_QUERY_PLANNER: planner,
      GATEWAY_MAX_BODY_BYTES: '16384',
      LOG_LEVEL: 'silent',
    }));
  });

  afterAll(async () => {
    if (gateway?.exitCode === null) gateway.kill('SIGKILL');
    await fakes?.stop();
  });

  beforeEach(() => {
    fakes.seen.length = 0;
  });

  async function graphql(
    query: string,
    headers: Record<string, string> = { authorization: `Bearer ${token}` },
  ) {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as GraphQLResponse;
    return { status: response.status, body, text: JSON.stringify(body) };
  }

  const crossing = '{ content(id: "c1") { title approval { state } } }';

  it.each([
    ['no token', {}],
    ['a malformed token', { authorization: 'Bearer not-a-jwt' }],
  ])('answers UNAUTHENTICATED to %s and calls no subgraph', async (_name, headers) => {
    const { status, body } = await graphql(crossing, headers);
    expect(status).toBe(401);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
    expect(fakes.seen).toEqual([]);
  });

  it('answers UNAUTHENTICATED to a forged or expired token and calls no subgraph', async () => {
    const stranger = await keyPair('test-key'); // same kid, another key
    const forged = await signDevToken(
      stranger.privateJwk,
      { subject: 'x', roles: ['IT_CELL_ADMIN'] },
      ISSUER,
      AUDIENCE,
    );
    const expired = await signDevToken(
      trusted.privateJwk,
      { subject: 'u1', roles: ['VIEWER'], ttlSeconds: -60 },
      ISSUER,
      AUDIENCE,
    );
    for (const bad of [forged, expired]) {
      const { body } = await graphql(crossing, { authorization: `Bearer ${bad}` });
      expect(body.errors?.[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
    }
    expect(fakes.seen).toEqual([]);
  });

  it('plans a query across both subgraphs and forwards the caller’s Authorization and traceparent', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const { status, body } = await graphql(crossing, { authorization: `Bearer ${token}`, traceparent });
    expect(status).toBe(200);
    expect(body).toEqual({ data: { content: { title: 'Title of c1', approval: { state: 'PENDING' } } } });
    expect(new Set(fakes.seen.map((s) => s.subgraph))).toEqual(new Set(['intake', 'approval']));
    for (const request of fakes.seen) {
      expect(request.authorization).toBe(`Bearer ${token}`);
      expect(request.traceparent).toBe(traceparent);
    }
  });

  it('refuses an operation deeper than the limit before calling any subgraph', async () => {
    let selection = 'id';
    for (let i = 0; i < 7; i++) selection = `approval { content { ${selection} } }`;
    const { body } = await graphql(`{ content(id: "c1") { ${selection} } }`);
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0].message).toMatch(/nesting depth is 16; the limit is 12/);
    expect(body.errors![0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      violations: [expect.objectContaining({ field: 'query', rule: 'maxDepth' })],
    });
    expect(fakes.seen).toEqual([]);
  });

  it('refuses too many aliases, too many tokens and a body over the size limit', async () => {
    const aliased = await graphql(
      `{ ${Array.from({ length: 31 }, (_, i) => `v${i}: viewer { name }`).join(' ')} }`,
    );
    expect(aliased.body.errors?.[0].extensions?.violations?.[0].rule).toBe('maxAliases');
    const long = await graphql(`{ ${'viewer { name } '.repeat(600)}}`);
    expect(long.body.errors?.[0].extensions?.violations?.[0].rule).toBe('maxTokens');
    const huge = await graphql(`{ viewer { name } } # ${'x'.repeat(20_000)}`);
    expect(huge.status).toBe(413);
    expect(huge.body.errors?.[0].extensions?.violations?.[0].rule).toBe('maxBodyBytes');
    expect(fakes.seen).toEqual([]);
  });

  it('passes an internal subgraph error on without its message or stack trace', async () => {
    const { status, body, text } = await graphql('{ content(id: "crash") { title } }');
    expect(status).toBe(200);
    expect(body.data).toEqual({ content: null });
    expect(body.errors).toEqual([
      {
        message: 'Internal server error',
        path: ['content'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(text).not.toMatch(/hunter2|db-primary|stacktrace|serviceName|\.ts:\d+/);
  });

  it('serves many concurrent subgraph calls without a MaxListenersExceededWarning', async () => {
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => graphql(`{ content(id: "c${round}-${i}") { title } }`)),
      );
      for (const answer of answers) expect(answer.body.errors).toBeUndefined();
    }
    expect(fakes.seen.length).toBeGreaterThanOrEqual(200);
    expect(gatewayStderr()).not.toMatch(/MaxListenersExceededWarning/);
  });

  it('allows introspection to an authenticated caller', async () => {
    const { body } = await graphql(
      '{ __schema { queryType { name } types { name fields { name type { name ofType { name } } } } } }',
    );
    expect(body.errors).toBeUndefined();
    const schema = body.data?.__schema as { types: { name: string }[] };
    expect(schema.types.map((t) => t.name)).toContain('Approval');
  });

  it('answers /healthz', async () => {
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const exited = new Promise<number | null>((done) => gateway.once('exit', (code) => done(code)));
    gateway.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
