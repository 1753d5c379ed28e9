// The console server with a built-looking static folder and a stand-in gateway (a plain HTTP
// server recording what it received): files, client-side routes, /config.json, the /graphql pass-through.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleShape } from './config';
import { createConsoleServer, staticPath, type ConsoleLog } from './server';
import { loadConfig } from '@prasar/config';

const silent: ConsoleLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

describe('console server', () => {
  let dir: string;
  let gateway: Server;
  let gatewayUrl: string;
  let received: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[];
  let server: Server;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-static-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><html lang="hi"><title>प्रसार</title></html>');
    writeFileSync(join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
    writeFileSync(join(tmpdir(), 'console-secret.txt'), 'secret');
    received = [];
    gateway = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'x=1' });
        res.end(JSON.stringify({ data: { viewer: { name: 'Asha' } } }));
      });
    });
    gatewayUrl = await listen(gateway);
    const config = loadConfig(consoleShape, {
      GATEWAY_URL: `${gatewayUrl}/graphql`,
      CONSOLE_OIDC_ISSUER: 'http://127.0.0.1:18080/realms/prasar',
      CONSOLE_OIDC_CLIENT_ID: 'prasar-console',
      CONSOLE_STATIC_DIR: dir,
      CONSOLE_MAX_BODY_BYTES: '1024',
    });
    server = createConsoleServer({ config, log: silent });
    base = await listen(server);
  });

  afterAll(async () => {
    server.closeAllConnections();
    gateway.closeAllConnections();
    await new Promise((r) => server.close(r));
    await new Promise((r) => gateway.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers its health check', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('gives the app its runtime configuration from the environment', async () => {
    const res = await fetch(`${base}/config.json`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      oidc: {
        issuer: 'http://127.0.0.1:18080/realms/prasar',
        clientId: 'prasar-console',
        tokenPath: '/oidc/token',
      },
      graphqlPath: '/graphql',
    });
  });

  it('serves files with their type, long caching for hashed assets, and a strict content security policy', async () => {
    const asset = await fetch(`${base}/assets/app-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const csp = asset.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:18080");
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it("answers a screen's URL with the app (client-side routes) and a missing asset with 404", async () => {
    const screen = await fetch(`${base}/inbox`);
    expect(screen.status).toBe(200);
    expect(screen.headers.get('cache-control')).toBe('no-cache');
    expect(await screen.text()).toContain('प्रसार');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
  });

  it('never serves a file outside its folder', async () => {
    expect(staticPath('/srv/web', '/../console-secret.txt')).toBeUndefined();
    expect(staticPath('/srv/web', '/%2e%2e/console-secret.txt')).toBeUndefined();
    expect(staticPath('/srv/web', '/assets/a.js')).toBe('/srv/web/assets/a.js');
    const res = await fetch(`${base}/%2e%2e/console-secret.txt`);
    expect(res.status).not.toBe(200);
  });

  it("passes /graphql to the gateway with the token and nothing else of the browser's", async () => {
    received = [];
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer t0ken',
        cookie: 'session=should-not-travel',
      },
      body: JSON.stringify({ query: '{ viewer { name } }' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { viewer: { name: 'Asha' } } });
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      method: 'POST',
      url: '/graphql',
      body: '{"query":"{ viewer { name } }"}',
    });
    expect(received[0].headers.authorization).toBe('Bearer t0ken');
    expect(received[0].headers.cookie).toBeUndefined();
  });

  it('refuses a request body over the limit before the gateway sees it', async () => {
    received = [];
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'x'.repeat(2000) }),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    expect(received).toHaveLength(0);
  });

  it('answers UNAVAILABLE in GraphQL form when the gateway is down', async () => {
    const config = loadConfig(consoleShape, {
      GATEWAY_URL: 'http://127.0.0.1:9/graphql',
      CONSOLE_OIDC_ISSUER: 'http://127.0.0.1:18080/realms/prasar',
      CONSOLE_OIDC_CLIENT_ID: 'prasar-console',
      CONSOLE_STATIC_DIR: dir,
    });
    const down = createConsoleServer({ config, log: silent });
    const url = await listen(down);
    try {
      const res = await fetch(`${url}/graphql`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(502);
      expect((await res.json()).errors[0].extensions.code).toBe('UNAVAILABLE');
    } finally {
      await new Promise((r) => down.close(r));
    }
  });

  it('refuses to start without a built web app', () => {
    const config = loadConfig(consoleShape, {
      GATEWAY_URL: `${gatewayUrl}/graphql`,
      CONSOLE_OIDC_ISSUER: 'http://127.0.0.1:18080/realms/prasar',
      CONSOLE_OIDC_CLIENT_ID: 'prasar-console',
      CONSOLE_STATIC_DIR: join(dir, 'nowhere'),
    });
    expect(() => createConsoleServer({ config, log: silent })).toThrow(/not built/);
  });
});

describe('console server: the token pass-through', () => {
  let provider: Server;
  let issuer: string;
  let server: Server;
  let base: string;
  let dir: string;
  let tokenRequests: { headers: IncomingHttpHeaders; body: string }[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-static-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
    tokenRequests = [];
    provider = createServer((req, res) => {
      if (req.url === '/realms/p/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer, token_endpoint: `${issuer}/protocol/openid-connect/token` }));
        return;
      }
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        tokenRequests.push({ headers: req.headers, body });
        const ok = body.includes('code=good');
        res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(ok ? { access_token: 'a', token_type: 'Bearer' } : { error: 'invalid_grant' }),
        );
      });
    });
    issuer = `${await listen(provider)}/realms/p`;
    const config = loadConfig(consoleShape, {
      GATEWAY_URL: 'http://127.0.0.1:9/graphql',
      CONSOLE_OIDC_ISSUER: issuer,
      CONSOLE_OIDC_CLIENT_ID: 'prasar-console',
      CONSOLE_STATIC_DIR: dir,
    });
    server = createConsoleServer({ config, log: silent });
    base = await listen(server);
  });

  afterAll(async () => {
    server.closeAllConnections();
    provider.closeAllConnections();
    await new Promise((r) => server.close(r));
    await new Promise((r) => provider.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes the code exchange to the provider's token endpoint, without the browser's origin or cookies", async () => {
    const res = await fetch(`${base}/oidc/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'http://127.0.0.1:4300',
        cookie: 'a=b',
      },
      body: 'grant_type=authorization_code&code=good&code_verifier=v',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ access_token: 'a', token_type: 'Bearer' });
    expect(tokenRequests.at(-1)?.body).toBe('grant_type=authorization_code&code=good&code_verifier=v');
    expect(tokenRequests.at(-1)?.headers.origin).toBeUndefined();
    expect(tokenRequests.at(-1)?.headers.cookie).toBeUndefined();
  });

  it("returns the provider's refusal as it is", async () => {
    const res = await fetch(`${base}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=authorization_code&code=bad',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_grant' });
  });

  it('accepts only POST', async () => {
    expect((await fetch(`${base}/oidc/token`)).status).toBe(405);
  });

  it('tells the app where to exchange its code', async () => {
    expect(await (await fetch(`${base}/config.json`)).json()).toMatchObject({
      oidc: { issuer, clientId: 'prasar-console', tokenPath: '/oidc/token' },
    });
  });
});
