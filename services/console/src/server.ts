// The console's HTTP server: the built web app's files, its runtime configuration, and `/graphql`
// passed to the gateway on the same origin (no CORS; the browser's token travels in the request).
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { ConsoleConfig } from './config';

/** What the server logs through (a pino logger in production). */
export interface ConsoleLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ConsoleServerOptions {
  config: ConsoleConfig;
  log: ConsoleLog;
  /** Run before the console's own routes; call next() to pass the request on (e.g. /metrics). */
  middleware?: ((req: IncomingMessage, res: ServerResponse, next: () => void) => void)[];
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/** Request headers the gateway receives from the browser; nothing else (cookies stay here). */
const FORWARDED = ['authorization', 'content-type', 'accept', 'traceparent', 'tracestate', 'accept-language'];

/** The browser's policy: scripts, styles and fonts from this origin only; tokens from the provider. */
export function contentSecurityPolicy(issuer: string): string {
  const provider = new URL(issuer).origin;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "font-src 'self'",
    "img-src 'self' data: https:",
    `connect-src 'self' ${provider}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    `form-action 'self' ${provider}`,
    "object-src 'none'",
  ].join('; ');
}

function securityHeaders(config: ConsoleConfig): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(config.CONSOLE_OIDC_ISSUER),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(payload);
}

/** A failure in GraphQL's response shape, so the app handles it like any other error. */
function sendGraphQLError(res: ServerResponse, status: number, message: string, code: string) {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

/** Resolves a URL path inside the static folder, or undefined for a path that escapes it. */
export function staticPath(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const full = normalize(join(root, decoded));
  if (full !== root && !full.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  return full;
}

function proxyGraphQL(req: IncomingMessage, res: ServerResponse, options: ConsoleServerOptions) {
  const { config, log } = options;
  if (req.method !== 'POST' && req.method !== 'GET') {
    res.writeHead(405, { allow: 'GET, POST' }).end();
    return;
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > config.CONSOLE_MAX_BODY_BYTES) {
    sendGraphQLError(res, 413, 'The request is too large.', 'PAYLOAD_TOO_LARGE');
    req.resume();
    return;
  }
  const target = new URL(config.GATEWAY_URL);
  const query = req.url?.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
  const headers: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  if (req.headers['content-length']) headers['content-length'] = String(req.headers['content-length']);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const upstream = send(
    {
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      path: target.pathname + query,
      method: req.method,
      headers,
      timeout: config.CONSOLE_UPSTREAM_TIMEOUT_MS,
    },
    (answer) => {
      const passed: Record<string, string | string[]> = { 'cache-control': 'no-store' };
      for (const name of ['content-type', 'content-length', 'retry-after', 'www-authenticate']) {
        const value = answer.headers[name];
        if (value !== undefined) passed[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, passed);
      answer.pipe(res);
    },
  );
  upstream.on('timeout', () => upstream.destroy(new Error('gateway timed out')));
  upstream.on('error', (err) => {
    log.warn({ err: { message: err.message } }, 'gateway unreachable');
    if (!res.headersSent)
      sendGraphQLError(res, 502, 'The platform is not reachable. Try again.', 'UNAVAILABLE');
    else res.destroy();
  });
  let received = 0;
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > config.CONSOLE_MAX_BODY_BYTES) {
      upstream.destroy();
      if (!res.headersSent) sendGraphQLError(res, 413, 'The request is too large.', 'PAYLOAD_TOO_LARGE');
      req.destroy();
    }
  });
  req.pipe(upstream);
}

/**
 * The provider's token endpoint, from its discovery document (fetched once). The browser exchanges
 * its code and refreshes its tokens through the console's own origin (POST /oidc/token): a
 * provider that derives allowed origins from redirect URIs cannot match a loopback origin with a
 * port, and this keeps the browser's traffic on one origin. Nothing is stored here.
 */
function tokenEndpointOf(issuer: string): () => Promise<string> {
  let found: Promise<string> | undefined;
  return () => {
    found ??= fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)
      .then(async (res) => {
        if (!res.ok) throw new Error(`discovery answered ${res.status}`);
        const doc = (await res.json()) as { token_endpoint?: unknown };
        if (typeof doc.token_endpoint !== 'string') throw new Error('discovery has no token_endpoint');
        return doc.token_endpoint;
      })
      .catch((err: unknown) => {
        found = undefined; // try again on the next request
        throw err;
      });
    return found;
  };
}

const MAX_TOKEN_REQUEST_BYTES = 16 * 1024;

function proxyToken(
  req: IncomingMessage,
  res: ServerResponse,
  options: ConsoleServerOptions,
  tokenEndpoint: () => Promise<string>,
) {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_TOKEN_REQUEST_BYTES) {
      if (!res.headersSent) sendJson(res, 413, { error: 'invalid_request' });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    tokenEndpoint()
      .then((url) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: Buffer.concat(chunks),
          signal: AbortSignal.timeout(options.config.CONSOLE_UPSTREAM_TIMEOUT_MS),
        }),
      )
      .then(async (answer) => {
        const body = Buffer.from(await answer.arrayBuffer());
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
          'content-length': body.length,
          'cache-control': 'no-store',
        });
        res.end(body);
      })
      .catch((err: unknown) => {
        options.log.warn({ err: { message: (err as Error).message } }, 'identity provider unreachable');
        if (!res.headersSent) sendJson(res, 502, { error: 'temporarily_unavailable' });
      });
  });
}

function serveFile(res: ServerResponse, path: string, config: ConsoleConfig, head: boolean) {
  const size = statSync(path).size;
  const immutable = path.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
    'content-length': size,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...securityHeaders(config),
  });
  if (head) res.end();
  else createReadStream(path).pipe(res);
}

/**
 * Builds the console server, not yet listening. Fails at once if the web app has not been built:
 * a console that answers with nothing would pass a health check and help no one.
 */
export function createConsoleServer(options: ConsoleServerOptions): Server {
  const { config, log } = options;
  const root = normalize(config.CONSOLE_STATIC_DIR);
  const index = join(root, 'index.html');
  if (!existsSync(index))
    throw new Error(
      `the console's web app is not built (${index} is missing): run \`node scripts/build.mjs console\``,
    );
  const tokenEndpoint = tokenEndpointOf(config.CONSOLE_OIDC_ISSUER);
  const runtimeConfig = {
    oidc: {
      issuer: config.CONSOLE_OIDC_ISSUER,
      clientId: config.CONSOLE_OIDC_CLIENT_ID,
      tokenPath: '/oidc/token',
    },
    graphqlPath: '/graphql',
  };
  const indexHtml = readFileSync(index);

  const route = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/config.json') return sendJson(res, 200, runtimeConfig);
    if (path === '/graphql') return proxyGraphQL(req, res, options);
    if (path === '/oidc/token') return proxyToken(req, res, options, tokenEndpoint);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const file = staticPath(root, path);
    if (!file) return sendJson(res, 400, { error: 'bad path' });
    if (existsSync(file) && statSync(file).isFile())
      return serveFile(res, file, config, req.method === 'HEAD');
    // A missing asset is a 404; any other path is one of the app's screens (client-side routing).
    if (path.startsWith('/assets/') || extname(path) !== '')
      return sendJson(res, 404, { error: 'not found' });
    res.writeHead(200, {
      'content-type': TYPES['.html'],
      'content-length': indexHtml.length,
      'cache-control': 'no-cache',
      ...securityHeaders(config),
    });
    res.end(req.method === 'HEAD' ? undefined : indexHtml);
  };

  return createServer((req, res) => {
    const middleware = options.middleware ?? [];
    const next = (i: number): void => {
      if (i < middleware.length) return middleware[i](req, res, () => next(i + 1));
      try {
        route(req, res);
      } catch (err) {
        log.error({ err }, 'console request failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      }
    };
    next(0);
  });
}
