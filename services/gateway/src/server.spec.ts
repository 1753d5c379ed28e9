// The HTTP layer in process (JavaScript planner; no subgraph is needed, none is reached).
import { loadConfig } from '@prasar/config';
import { exportJWK, generateKeyPair } from 'jose';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayShape, subgraphUrlOverrides } from './config';
import { createGatewayServer, shutdownGatewayServer } from './server';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

async function jwksFile(): Promise<string> {
  const { publicKey } = await generateKeyPair('ES256');
  const file = join(mkdtempSync(join(tmpdir(), 'gateway-jwks-')), 'jwks.json');
  writeFileSync(
    file,
    JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] }),
  );
  return file;
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
      GATEWAY_MAX_BODY_BYTES: 262144,
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
});

describe('createGatewayServer', () => {
  let server: Server;
  let base: string;
  const middlewareSaw: string[] = [];

  beforeAll(async () => {
    const config = loadConfig(gatewayShape, {
      AUTH_JWKS_FILE: await jwksFile(),
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

  it('stops listening on shutdown', async () => {
    await shutdownGatewayServer(server, 1000);
    expect(server.listening).toBe(false);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
