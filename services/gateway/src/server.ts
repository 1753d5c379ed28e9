// The gateway's HTTP server: health, request size, authentication, then the federation runtime.
import { AuthenticationError, TokenVerifier, UnavailableError, verifierOptionsFrom } from '@prasar/auth';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { subgraphUrlOverrides, type GatewayConfig } from './config';
import { proxyRecordsExport, recordsExportUrl, RECORDS_EXPORT_PATH } from './exports';
import { createEngine, type EngineLogLevel, type GatewayLog, type GraphQLEngine } from './runtime';

/** Handles a request itself, or calls next() to pass it on (e.g. telemetry answering /metrics). */
export type RequestMiddleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface GatewayServerOptions {
  config: GatewayConfig;
  /** Where the runtime logs (a pino logger); its level is LOG_LEVEL. */
  log: GatewayLog;
  /** Run in order before the gateway's own routes. */
  middleware?: RequestMiddleware[];
  /** Extra runtime plugins (tracing, metrics). */
  plugins?: GatewayPlugin[];
}

/** Caller headers every subgraph receives: the token (subgraphs verify it again) and the trace context. */
export const FORWARDED_HEADERS = ['authorization', 'traceparent', 'tracestate'] as const;

interface ServerState {
  engine: GraphQLEngine;
  draining: boolean;
}
const states = new WeakMap<Server, ServerState>();

function logLevelOf(level: GatewayConfig['LOG_LEVEL']): EngineLogLevel {
  if (level === 'silent') return false;
  return level === 'fatal' ? 'error' : level;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/** A refusal before GraphQL runs, in GraphQL's response shape so clients handle it like any other error. */
function sendGraphQLError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  extensions: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  const wantsGraphQLResponse = (req.headers.accept ?? '').includes('application/graphql-response+json');
  const contentType = wantsGraphQLResponse ? 'application/graphql-response+json' : 'application/json';
  sendJson(
    res,
    status,
    { errors: [{ message, extensions }] },
    { ...headers, 'content-type': `${contentType}; charset=utf-8` },
  );
}

/** The one media type a POST body may have. */
export const ACCEPTED_CONTENT_TYPE = 'application/json';

/** Why a GET request's URL parameters cannot run, or undefined when they can. */
function malformedGetParameters(url: string | undefined): string | undefined {
  const params = new URL(url ?? '/', 'http://gateway').searchParams;
  for (const name of ['variables', 'extensions']) {
    const raw = params.get(name);
    if (raw === null || raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return `The "${name}" parameter is not JSON; it must be a URL-encoded JSON object`;
    }
    if (value !== null && (typeof value !== 'object' || Array.isArray(value)))
      return `The "${name}" parameter must be a JSON object`;
  }
  return undefined;
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0].trim().toLowerCase();
}

/**
 * Answers what Node's HTTP parser refuses before a request exists (a URL or headers over its size
 * limit, a malformed request line) in GraphQL's error shape, instead of a bare status line.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const message = tooLarge
    ? 'The request URL and headers are larger than the server accepts; send the operation in a POST ' +
      `body (${ACCEPTED_CONTENT_TYPE}) instead of the URL`
    : 'The HTTP request is malformed';
  const payload = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(payload)}\r\nconnection: close\r\n\r\n${payload}`,
  );
}

/**
 * Builds the gateway: loads the supergraph, starts the runtime and waits until it is ready, and returns
 * the HTTP server, not yet listening. Close it with shutdownGatewayServer.
 */
export async function createGatewayServer(options: GatewayServerOptions): Promise<Server> {
  const { config } = options;
  const verifier = new TokenVerifier(verifierOptionsFrom(config));
  const engine = createEngine({
    supergraphSdl: readFileSync(config.GATEWAY_SUPERGRAPH_FILE, 'utf8'),
    subgraphUrls: subgraphUrlOverrides(config),
    planner: config.GATEWAY_QUERY_PLANNER,
    limits: {
      maxDepth: config.GATEWAY_MAX_DEPTH,
      maxTokens: config.GATEWAY_MAX_TOKENS,
      maxAliases: config.GATEWAY_MAX_ALIASES,
      maxCost: config.GATEWAY_MAX_COST,
    },
    upstreamTimeoutMs: config.GATEWAY_UPSTREAM_TIMEOUT_MS,
    log: options.log,
    logLevel: logLevelOf(config.LOG_LEVEL),
    forwardedHeaders: FORWARDED_HEADERS,
    plugins: options.plugins,
  });
  try {
    await engine.ready();
  } catch (err) {
    await engine.dispose();
    throw err;
  }
  const state: ServerState = { engine, draining: false };
  const maxBodyBytes = config.GATEWAY_MAX_BODY_BYTES;
  const exportTarget = recordsExportUrl(config);

  /** GET /exports/records: the same token check as GraphQL, then the analytics service's stream. */
  async function serveRecordsExport(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET') return sendJson(res, 405, { code: 'BAD_USER_INPUT', message: 'Use GET' });
    try {
      await verifier.verifyAuthorization(req.headers.authorization);
    } catch (err) {
      if (!(err instanceof AuthenticationError)) throw err;
      return sendJson(res, 401, { code: err.code, message: err.message }, { 'www-authenticate': 'Bearer' });
    }
    proxyRecordsExport(
      exportTarget,
      req,
      res,
      (err) => options.log.error({ err }, 'records export failed'),
      // Streaming a large export takes a while; the per-call limit bounds silence, not the whole.
      Math.max(config.GATEWAY_UPSTREAM_TIMEOUT_MS, 60_000),
    );
  }

  async function serveGraphQL(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // CORS preflights carry no token and run nothing.
    if (req.method === 'OPTIONS') return engine.handle(req, res);

    const declaredLength = req.headers['content-length'];
    if (declaredLength === undefined && req.headers['transfer-encoding'] !== undefined) {
      const message = 'The request body must be sent with a Content-Length';
      return sendGraphQLError(req, res, 411, message, {
        code: 'BAD_USER_INPUT',
        violations: [{ field: 'body', rule: 'contentLength', message }],
      });
    }
    // Node's parser reads exactly Content-Length bytes, so checking the header bounds the body.
    if (declaredLength !== undefined && Number(declaredLength) > maxBodyBytes) {
      const message = `The request body is larger than the limit of ${maxBodyBytes} bytes`;
      return sendGraphQLError(req, res, 413, message, {
        code: 'BAD_USER_INPUT',
        violations: [{ field: 'body', rule: 'maxBodyBytes', message }],
      });
    }

    if (req.method === 'POST' && mediaTypeOf(req.headers['content-type']) !== ACCEPTED_CONTENT_TYPE) {
      const message =
        `POST bodies must be ${ACCEPTED_CONTENT_TYPE} ({"query", "variables", "operationName"}); ` +
        'GET takes query, variables and operationName as URL parameters';
      return sendGraphQLError(
        req,
        res,
        415,
        message,
        { code: 'BAD_REQUEST' },
        { accept: ACCEPTED_CONTENT_TYPE },
      );
    }
    if (req.method === 'GET') {
      const problem = malformedGetParameters(req.url);
      if (problem) return sendGraphQLError(req, res, 400, problem, { code: 'BAD_REQUEST' });
    }

    try {
      await verifier.verifyAuthorization(req.headers.authorization);
    } catch (err) {
      if (err instanceof UnavailableError) {
        return sendGraphQLError(
          req,
          res,
          503,
          err.message,
          { code: err.code, retryAfter: err.retryAfterSeconds },
          { 'retry-after': String(err.retryAfterSeconds) },
        );
      }
      if (!(err instanceof AuthenticationError)) throw err;
      return sendGraphQLError(
        req,
        res,
        401,
        err.message,
        { code: err.code },
        { 'www-authenticate': 'Bearer' },
      );
    }
    engine.handle(req, res);
  }

  function route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      // The server exists only once the supergraph is loaded; it stops being healthy when it drains.
      return state.draining
        ? sendJson(res, 503, { status: 'draining' })
        : sendJson(res, 200, { status: 'ok' });
    }
    if (path === RECORDS_EXPORT_PATH) {
      serveRecordsExport(req, res).catch((err: unknown) => {
        options.log.error({ err }, 'records export failed');
        if (!res.headersSent)
          sendJson(res, 500, { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' });
      });
      return;
    }
    if (path === engine.endpoint) {
      serveGraphQL(req, res).catch((err: unknown) => {
        options.log.error({ err }, 'gateway request failed');
        if (!res.headersSent)
          sendGraphQLError(req, res, 500, 'Internal server error', { code: 'INTERNAL_SERVER_ERROR' });
      });
      return;
    }
    sendJson(res, 404, { error: 'Not found' });
  }

  const middleware = options.middleware ?? [];
  const server = createServer((req, res) => {
    let index = 0;
    const next = (): void => {
      const handler = middleware[index++];
      if (handler) handler(req, res, next);
      else route(req, res);
    };
    next();
  });
  server.on('clientError', answerClientError);
  states.set(server, state);
  return server;
}

/**
 * Stops accepting connections, lets in-flight requests finish for up to graceMs (then cuts the
 * rest), and disposes of the runtime. /healthz answers 503 meanwhile on connections still open.
 */
export async function shutdownGatewayServer(server: Server, graceMs = 10_000): Promise<void> {
  const state = states.get(server);
  if (state) state.draining = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
  deadline.unref();
  await closed;
  clearTimeout(deadline);
  await state?.engine.dispose();
}
