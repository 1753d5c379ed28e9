// The HTTP layer in process (JavaScript planner; no subgraph is needed, none is reached).
import { signDevToken } from '@prasar/auth';
import { loadConfig, MAX_REQUEST_BODY_BYTES } from '@prasar/config';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayShape, subgraphUrlOverrides } from './config';
import { createGatewayServer, shutdownGatewayServer } from './server';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

async function jwksFile(): Promise<{ file: string; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const file = join(mkdtempSync(join(tmpdir(), 'gateway-jwks-')), 'jwks.json');
  writeFileSync(
    file,
    JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] }),
  );
  return { file, privateJwk: { ...(await exportJWK(privateKey)), kid: 'k', alg: 'ES256' } };
}

describe('gateway configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(gatewayShape, { AUTH_JWKS_FILE: '/x', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' });
    expect(config).toMatchObject({
      PORT: 4000,
      GATEWAY_QUERY_PLANNER: 'rust',
      GATEWAY_MAX_DEPTH: 12,
      GATEWAY_MAX_TOKENS: 2000,
      GATEWAY_MAX_ALIASES: 30,
      GATEWAY_MAX_COST: 5000,
      GATEWAY_MAX_BODY_BYTES: MAX_REQUEST_BODY_BYTES,
    });
    expect(subgraphUrlOverrides(config)).toEqual({});
  });

  it('overrides subgraph URLs from their variables and refuses a bad one', () => {
    const env = {
      AUTH_JWKS_FILE: '/x',
      AUTH_ISSUER: 'i',
      AUTH_AUDIENCE: 'a',
      APPROVAL_URL: 'http://approval:4102/graphql',
    };
    expect(subgraphUrlOverrides(loadConfig(gatewayShape, env))).toEqual({
      approval: 'http://approval:4102/graphql',
    });
    expect(() => loadConfig(gatewayShape, { ...env, INTAKE_URL: 'not a url' })).toThrow(/INTAKE_URL/);
  });

  it('never lets the body limit exceed the one the services have', () => {
    const env = { AUTH_JWKS_FILE: '/x', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' };
    const over = String(MAX_REQUEST_BODY_BYTES + 1);
    expect(() => loadConfig(gatewayShape, { ...env, GATEWAY_MAX_BODY_BYTES: over })).toThrow(
      /GATEWAY_MAX_BODY_BYTES/,
    );
  });
});

describe('createGatewayServer', () => {
  let server: Server;
  let base: string;
  const middlewareSaw: string[] = [];
  let token: string;

  beforeAll(async () => {
    const keys = await jwksFile();
    token = await signDevToken(keys.privateJwk, { subject: 'u1', roles: ['VIEWER'] }, 'iss', 'aud');
    const config = loadConfig(gatewayShape, {
      AUTH_JWKS_FILE: keys.file,
      AUTH_ISSUER: 'iss',
      AUTH_AUDIENCE: 'aud',
      GATEWAY_QUERY_PLANNER: 'js',
      GATEWAY_MAX_BODY_BYTES: '1024',
      LOG_LEVEL: 'silent',
    });
    server = await createGatewayServer({
      config,
      log: silent,
      middleware: [
        (req, res, next) => {
          middlewareSaw.push(req.url ?? '');
          if (req.url === '/metrics') res.end('metrics here');
          else next();
        },
      ],
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  it('runs middleware before its own routes', async () => {
    expect(await (await fetch(`${base}/metrics`)).text()).toBe('metrics here');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(middlewareSaw).toEqual(['/metrics', '/healthz']);
  });

  it('answers 404 off the GraphQL endpoint', async () => {
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
  });

  it('refuses a body without a length, and one over the limit, before authenticating', async () => {
    const chunked = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = request(
        `${base}/graphql`,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode, body }));
        },
      );
      req.on('error', reject);
      req.write('{"query":');
      req.end('"{ viewer { name } }"}');
    });
    expect(chunked.status).toBe(411);
    const big = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ viewer { name } } # ${'x'.repeat(2000)}` }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({
      errors: [
        expect.objectContaining({
          extensions: {
            code: 'BAD_USER_INPUT',
            violations: [expect.objectContaining({ rule: 'maxBodyBytes' })],
          },
        }),
      ],
    });
  });

  it('answers a request without a token with UNAUTHENTICATED in the requested media type', async () => {
    const get = await fetch(`${base}/graphql?query=${encodeURIComponent('{ viewer { name } }')}`, {
      headers: { accept: 'application/graphql-response+json' },
    });
    expect(get.status).toBe(401);
    expect(get.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(get.headers.get('www-authenticate')).toBe('Bearer');
    expect((await get.json()).errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('refuses a POST body that is not application/json with 415, saying what is accepted', async () => {
    for (const contentType of ['text/plain', 'application/graphql', 'application/x-www-form-urlencoded']) {
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
        body: '{ __typename }',
      });
      expect(response.status).toBe(415);
      expect(response.headers.get('accept')).toBe('application/json');
      const body = (await response.json()) as { errors: { message: string; extensions: object }[] };
      expect(body.errors).toEqual([
        { message: expect.stringMatching(/must be application\/json/), extensions: { code: 'BAD_REQUEST' } },
      ]);
    }
    const json = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await json.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses GET variables or extensions that are not a JSON object as BAD_REQUEST', async () => {
    const query = encodeURIComponent('query($id: ID!) { __typename }');
    for (const params of ['variables=notjson', 'variables=%7B', 'variables=%5B1%5D', 'extensions=x']) {
      const response = await fetch(`${base}/graphql?query=${query}&${params}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { errors: { extensions: object }[] };
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(/"(variables|extensions)" parameter/),
          extensions: { code: 'BAD_REQUEST' },
        }),
      ]);
    }
  });

  it('answers a URL too long for the server with 431 and a JSON body saying to POST instead', async () => {
    const response = await fetch(`${base}/graphql?query=${'x'.repeat(70_000)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(431);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      errors: [{ message: expect.stringMatching(/POST body/), extensions: { code: 'BAD_REQUEST' } }],
    });
  });

  it('refuses a subscription (the supergraph serves none) as BAD_REQUEST before planning', async () => {
    for (const query of ['subscription { x }', 'subscription S { __typename }']) {
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as { errors: { message: string; extensions: object }[] };
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: 'This API does not serve subscription operations; it serves queries and mutations',
          extensions: { code: 'BAD_REQUEST' },
        }),
      ]);
    }
  });

  it('stops listening on shutdown', async () => {
    await shutdownGatewayServer(server, 1000);
    expect(server.listening).toBe(false);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
