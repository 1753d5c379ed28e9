// The simulator's HTTP server. A platform call goes: route → authenticate → injected faults →
// rate limit → execute (commits) → reply, which an injected "timeout after commit" may hold back or
// drop. `/_sim/` is the control API, `/2/` is X, `/vNN.N/` is Meta's Graph API.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createCounter, type Logger } from '@prasar/telemetry';
import { SimClock, type ClockOptions } from './clock';
import type { PlatformErrors, PlatformRoute, Sim } from './context';
import { controlApi } from './control';
import { FaultTable } from './faults';
import { graphApi } from './graph';
import { BodyError, json, readRequest, sendReply, type Reply, type SimRequest } from './http';
import { mediaFile } from './media';
import { RateLimiter } from './rate-limits';
import { SimState, type Platform, type WebhookTarget } from './state';
import { WebhookDispatcher } from './webhooks';
import { xApi } from './x';

export interface SimServerOptions {
  log: Logger;
  /** The control API's token; required when the control API is enabled. */
  adminToken?: string;
  /** Serve the control API (default true). */
  control?: boolean;
  clock?: ClockOptions;
  /** Where WhatsApp webhooks go for numbers without their own. */
  webhook?: WebhookTarget;
  webhookTimeoutMs?: number;
  maxBodyBytes?: number;
  /** Answers `GET /metrics` (the telemetry library's Prometheus handler). */
  metrics?: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface SimServer {
  server: Server;
  sim: Sim;
  /** Stops listening and drops held replies, open connections and webhook deliveries in flight. */
  close(): Promise<void>;
}

const GRAPH_PATH = /^\/v\d+\.\d+\//;
const DEFAULT_DELAY_MS = 60_000;

let cachedMetrics:
  | {
      calls: ReturnType<typeof createCounter>;
      faults: ReturnType<typeof createCounter>;
      created: ReturnType<typeof createCounter>;
    }
  | undefined;

function simMetrics() {
  cachedMetrics ??= {
    calls: createCounter(
      'platform_sim_calls',
      'Platform API calls answered, by platform, operation and outcome',
    ),
    faults: createCounter('platform_sim_faults_fired', 'Injected faults that fired, by platform and kind'),
    created: createCounter(
      'platform_sim_created',
      'Posts and messages really created (ledger entries), by platform',
    ),
  };
  return cachedMetrics;
}

function outcomeOf(status: number): string {
  if (status < 300) return 'ok';
  if (status === 401) return 'unauthorized';
  if (status === 429) return 'rate_limited';
  return status >= 500 ? 'error' : 'refused';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Builds the simulator (not yet listening). */
export function createSimServer(options: SimServerOptions): SimServer {
  const controlEnabled = options.control ?? true;
  if (controlEnabled && !options.adminToken) throw new Error('the control API needs an admin token');
  const sim: Sim = {
    state: new SimState(options.webhook),
    clock: new SimClock(options.clock ?? { frozen: false }),
    faults: new FaultTable(),
    limiter: new RateLimiter(),
    webhooks: new WebhookDispatcher(options.log, options.webhookTimeoutMs ?? 5000),
    log: options.log,
  };
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const x = xApi(sim);
  const graph = graphApi(sim);
  const errorsOf = (platform: Platform): PlatformErrors =>
    platform === 'x' ? x.errors : graph.errors[platform];
  const inFlight = new Set<Promise<unknown>>();
  const held = new Set<{ timer: NodeJS.Timeout; res: ServerResponse }>();

  async function settle(): Promise<void> {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    await sim.webhooks.settle();
  }

  const control = controlApi(sim, {
    enabled: controlEnabled,
    adminToken: options.adminToken,
    settle,
    reset() {
      sim.state.reset();
      sim.faults.clear();
      sim.limiter.reset();
      sim.webhooks.clear();
      sim.clock.reset();
    },
  });

  /** Runs one platform call up to its reply (the commit included); what to do with the reply is the caller's. */
  async function perform(
    route: PlatformRoute,
    req: SimRequest,
  ): Promise<{ reply: Reply; hold?: 'drop' | 'delay'; delayMs?: number }> {
    const errors = errorsOf(route.platform);
    const auth = route.authenticate(req);
    if ('reply' in auth) return { reply: auth.reply };
    const { account } = auth;
    const fired = sim.faults.fire({ platform: route.platform, operation: route.operation, account });
    for (const kind of fired.keys()) simMetrics().faults.add(1, { platform: route.platform, kind });
    if (fired.size > 0)
      sim.log.info({ operation: route.operation, account, faults: [...fired.keys()] }, 'faults fired');
    const latency = fired.get('latency');
    if (latency?.latencyMs) await sleep(latency.latencyMs);
    const error = fired.get('error');
    if (error) return { reply: errors.serverError(error.status ?? 503) };
    const storm = fired.get('rateLimit');
    if (storm) {
      const retryAfterSeconds = storm.retryAfterSeconds ?? 60;
      return {
        reply: errors.rateLimited(
          { retryAfterSeconds, resetAt: sim.clock.now() + retryAfterSeconds * 1000 },
          account,
        ),
      };
    }
    if (fired.has('blocked')) return { reply: errors.blocked() };
    const limit = route.rateLimitOf?.(account) ?? null;
    const now = sim.clock.now();
    const usage = limit ? sim.limiter.consume(`${route.platform}:${account}`, limit, now) : undefined;
    if (usage && !usage.allowed) {
      const retryAfterSeconds = Math.max(1, Math.ceil((usage.resetAt - now) / 1000));
      return { reply: errors.rateLimited({ retryAfterSeconds, resetAt: usage.resetAt, usage }, account) };
    }
    const ledgerBefore = sim.state.ledgerSize;
    const reply = await route.execute({ req, account, faults: fired });
    const created = sim.state.ledgerSize - ledgerBefore;
    if (created > 0) simMetrics().created.add(created, { platform: route.platform });
    if (usage && errors.usageHeaders)
      reply.headers = { ...errors.usageHeaders(usage, account), ...reply.headers };
    const timeout = fired.get('timeoutAfterCommit');
    if (!timeout) return { reply };
    sim.log.info(
      { operation: route.operation, mode: timeout.mode ?? 'drop' },
      'holding back the reply after commit',
    );
    return { reply, hold: timeout.mode ?? 'drop', delayMs: timeout.delayMs ?? DEFAULT_DELAY_MS };
  }

  async function handlePlatform(route: PlatformRoute, req: SimRequest, res: ServerResponse): Promise<void> {
    const work = perform(route, req);
    inFlight.add(work);
    let outcome: Awaited<typeof work>;
    try {
      outcome = await work;
    } finally {
      inFlight.delete(work);
    }
    const { reply, hold, delayMs } = outcome;
    simMetrics().calls.add(1, {
      platform: route.platform,
      operation: route.operation,
      outcome: hold ? 'held' : outcomeOf(reply.status),
    });
    if (hold === 'drop') {
      res.socket?.destroy();
      return;
    }
    if (hold === 'delay') {
      const entry = {
        res,
        timer: setTimeout(() => {
          held.delete(entry);
          if (!res.destroyed) sendReply(res, reply);
        }, delayMs).unref(),
      };
      held.add(entry);
      res.once('close', () => {
        clearTimeout(entry.timer);
        held.delete(entry);
      });
      return;
    }
    sendReply(res, reply);
  }

  function badBody(path: string, err: BodyError): Reply {
    if (path.startsWith('/2/')) return x.errors.badBody(err.message, err.status);
    if (GRAPH_PATH.test(path)) return graph.errors.facebook.badBody(err.message, err.status);
    return json(err.status, { error: 'invalid_request', message: err.message });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') return sendReply(res, json(200, { status: 'ok' }));
    if (path === '/metrics' && options.metrics) return options.metrics(req, res);
    if ((req.method === 'GET' || req.method === 'HEAD') && path.startsWith('/media/'))
      return serveMedia(req, res);
    const isControl = path === '/_sim' || path.startsWith('/_sim/');
    if (!isControl && !path.startsWith('/2/') && !GRAPH_PATH.test(path))
      return sendReply(res, json(404, { error: 'not_found', message: `Nothing is simulated at ${path}` }));
    let parsed: SimRequest;
    try {
      parsed = await readRequest(req, maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyError) return sendReply(res, badBody(path, err));
      throw err;
    }
    if (isControl) return sendReply(res, await control(parsed));
    const resolved = path.startsWith('/2/') ? x.route(parsed) : graph.route(parsed);
    if (!('operation' in resolved)) return sendReply(res, resolved);
    return handlePlatform(resolved, parsed, res);
  }

  /** Test media (media.ts): generated files, and the broken ones a test asks for. */
  async function serveMedia(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const file = mediaFile(decodeURIComponent(url.pathname.slice('/media/'.length)), url.searchParams);
    if (file.delayMs > 0) await sleep(file.delayMs);
    if (res.destroyed) return;
    res.writeHead(file.status, { 'content-type': file.contentType, 'content-length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      sim.log.error({ err, method: req.method, url: req.url }, 'simulator request failed');
      if (!res.headersSent && !res.destroyed)
        sendReply(
          res,
          json(500, { error: 'internal', message: 'The simulator failed to handle this request' }),
        );
    });
  });

  return {
    server,
    sim,
    async close() {
      for (const entry of held) {
        clearTimeout(entry.timer);
        entry.res.destroy();
      }
      held.clear();
      sim.webhooks.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
