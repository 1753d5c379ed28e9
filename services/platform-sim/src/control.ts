// The control API under /_sim/ (no real platform has it): tests and the local stack register
// accounts and tokens, shape WhatsApp numbers, inject faults, move the clock, read the ledger and
// reset everything. Every call needs the admin token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from '@prasar/config';
import type { Sim } from './context';
import { FAULT_KINDS } from './faults';
import { bearerToken, json, type Reply, type SimRequest } from './http';
import { DEFAULT_RATE_LIMITS, PLATFORMS, type Platform, type RateLimitConfig } from './state';
import { receiveInbound, tierName, waIdOf } from './whatsapp';

const numericId = z.string().regex(/^\d+$/, 'must be a numeric id');
const rateLimit = z
  .object({ limit: z.number().int().positive(), windowSeconds: z.number().int().positive() })
  .nullable()
  .optional();
const expiresIn = z.number().int().positive().optional();
const webhook = z.object({ url: z.string().url(), appSecret: z.string().min(1) });
const tier = z.union([z.number().int().positive(), z.literal('unlimited')]);

const schemas = {
  xAccount: z.object({
    id: numericId,
    username: z.string().min(1),
    name: z.string().min(1).optional(),
    accessToken: z.string().min(1),
    refreshToken: z.string().min(1).optional(),
    clientId: z.string().min(1).default('prasar-x-client'),
    clientSecret: z.string().min(1).optional(),
    accessTokenTtlSeconds: z.number().int().positive().default(7200),
    videoReadyAfterPolls: z.number().int().min(0).default(2),
    videoReadyAfterSeconds: z.number().int().min(0).default(30),
    rateLimit,
  }),
  facebookPage: z.object({
    id: numericId,
    name: z.string().min(1),
    accessToken: z.string().min(1),
    tokenExpiresInSeconds: expiresIn,
    rateLimit,
  }),
  instagramUser: z.object({
    id: numericId,
    username: z.string().min(1),
    accessToken: z.string().min(1),
    tokenExpiresInSeconds: expiresIn,
    publishingQuota: z.number().int().positive().default(50),
    containerReadyAfterPolls: z.number().int().min(0).default(1),
    containerReadyAfterSeconds: z.number().int().min(0).default(30),
    videoReadyAfterPolls: z.number().int().min(0).default(3),
    videoReadyAfterSeconds: z.number().int().min(0).default(60),
    rateLimit,
  }),
  whatsappNumber: z.object({
    id: numericId,
    displayPhoneNumber: z.string().min(1),
    verifiedName: z.string().min(1).optional(),
    wabaId: numericId.optional(),
    accessToken: z.string().min(1),
    tokenExpiresInSeconds: expiresIn,
    tier: tier.default(250),
    statuses: z.array(z.enum(['sent', 'delivered', 'read'])).default(['sent', 'delivered', 'read']),
    rateLimit,
    webhook: webhook.optional(),
  }),
  template: z.object({
    name: z.string().min(1),
    language: z.string().min(1),
    status: z.enum(['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED']).default('APPROVED'),
    category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']).default('MARKETING'),
    body: z.string().optional(),
  }),
  tier: z.object({ tier }),
  subscribers: z.object({
    waIds: z.array(z.string().min(1)).min(1),
    optedIn: z.boolean().default(true),
    onWhatsApp: z.boolean().default(true),
  }),
  inbound: z.object({ from: z.string().min(1), text: z.string(), name: z.string().optional() }),
  webhook: webhook.extend({ phoneNumberId: numericId.optional() }),
  clock: z.object({
    advanceSeconds: z.number().min(0).optional(),
    set: z.iso.datetime({ offset: true }).optional(),
    frozen: z.boolean().optional(),
  }),
  token: z.object({ token: z.string().min(1) }),
  fault: z
    .object({
      kind: z.enum(FAULT_KINDS),
      platform: z.enum(PLATFORMS as [Platform, ...Platform[]]).optional(),
      account: z.string().min(1).optional(),
      operation: z.string().min(1).optional(),
      count: z.number().int().positive().optional(),
      probability: z.number().min(0).max(1).optional(),
      seed: z.number().int().optional(),
      latencyMs: z.number().int().min(0).max(600_000).optional(),
      status: z.number().int().min(500).max(599).optional(),
      retryAfterSeconds: z.number().int().positive().optional(),
      mode: z.enum(['drop', 'delay']).optional(),
      delayMs: z.number().int().min(0).max(600_000).optional(),
    })
    .refine((f) => f.kind !== 'latency' || f.latencyMs !== undefined, {
      message: 'a latency fault needs latencyMs',
      path: ['latencyMs'],
    }),
};

export interface ControlOptions {
  enabled: boolean;
  adminToken?: string;
  /** Waits until in-flight calls and queued webhooks are done. */
  settle(): Promise<void>;
  /** Forgets everything: accounts, posts, ledger, faults, rate-limit windows, clock. */
  reset(): void;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Ends a control call early with this reply. */
class Refusal {
  constructor(readonly reply: Reply) {}
}

function problem(status: number, error: string, message: string, extra: Record<string, unknown> = {}): Reply {
  return json(status, { error, message, ...extra });
}

/** The control API's handler. */
export function controlApi(sim: Sim, options: ControlOptions): (req: SimRequest) => Promise<Reply> {
  const { state, clock } = sim;
  const expiry = (seconds: number | undefined) =>
    seconds === undefined ? null : clock.now() + seconds * 1000;
  const limitOr = (given: RateLimitConfig | null | undefined, platform: Platform) =>
    given === undefined ? DEFAULT_RATE_LIMITS[platform] : given;

  function authorized(req: SimRequest): boolean {
    const given = bearerToken(req.headers) ?? req.headers['x-sim-admin-token'];
    if (typeof given !== 'string' || !options.adminToken) return false;
    return timingSafeEqual(digest(given), digest(options.adminToken));
  }

  /** The body, validated; a body that does not fit ends the call with a 400. */
  function parse<T extends z.ZodType>(schema: T, req: SimRequest): z.infer<T> {
    const result = schema.safeParse(req.json ?? {});
    if (result.success) return result.data;
    throw new Refusal(
      problem(400, 'invalid_request', 'The request body does not fit the control API', {
        issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      }),
    );
  }

  /** A Graph id is one object's: registering it as another kind is a conflict. */
  function graphIdConflict(id: string, kind: string): Reply | null {
    const node = state.graphNode(id);
    return node && node.kind !== kind
      ? problem(409, 'conflict', `Graph id ${id} already names a ${node.kind}`)
      : null;
  }

  function registerX(req: SimRequest): Reply {
    const body = parse(schemas.xAccount, req);
    const holder = state.tokens.get(body.accessToken)?.grants.find((g) => g.platform === 'x');
    if (holder && holder.account !== body.id)
      return problem(409, 'conflict', 'That access token already belongs to another X account');
    state.xAccounts.set(body.id, {
      id: body.id,
      username: body.username,
      name: body.name ?? body.username,
      clientId: body.clientId,
      clientSecret: body.clientSecret,
      accessTokenTtlSeconds: body.accessTokenTtlSeconds,
      videoReadyAfterPolls: body.videoReadyAfterPolls,
      videoReadyAfterSeconds: body.videoReadyAfterSeconds,
      rateLimit: limitOr(body.rateLimit, 'x'),
    });
    state.grantToken(body.accessToken, 'x', body.id, clock.now() + body.accessTokenTtlSeconds * 1000);
    if (body.refreshToken)
      state.xRefreshTokens.set(body.refreshToken, {
        token: body.refreshToken,
        account: body.id,
        clientId: body.clientId,
        used: false,
        revoked: false,
      });
    return json(201, {
      platform: 'x',
      id: body.id,
      accessTokenExpiresAt: new Date(clock.now() + body.accessTokenTtlSeconds * 1000).toISOString(),
    });
  }

  function registerPage(req: SimRequest): Reply {
    const body = parse(schemas.facebookPage, req);
    const conflict = graphIdConflict(body.id, 'page');
    if (conflict) return conflict;
    state.pages.set(body.id, {
      id: body.id,
      name: body.name,
      rateLimit: limitOr(body.rateLimit, 'facebook'),
    });
    state.grantToken(body.accessToken, 'facebook', body.id, expiry(body.tokenExpiresInSeconds));
    return json(201, { platform: 'facebook', id: body.id });
  }

  function registerInstagram(req: SimRequest): Reply {
    const body = parse(schemas.instagramUser, req);
    const conflict = graphIdConflict(body.id, 'igUser');
    if (conflict) return conflict;
    state.igUsers.set(body.id, {
      id: body.id,
      username: body.username,
      quotaTotal: body.publishingQuota,
      readyAfterPolls: body.containerReadyAfterPolls,
      readyAfterSeconds: body.containerReadyAfterSeconds,
      videoReadyAfterPolls: body.videoReadyAfterPolls,
      videoReadyAfterSeconds: body.videoReadyAfterSeconds,
      rateLimit: limitOr(body.rateLimit, 'instagram'),
    });
    state.grantToken(body.accessToken, 'instagram', body.id, expiry(body.tokenExpiresInSeconds));
    return json(201, { platform: 'instagram', id: body.id });
  }

  function registerNumber(req: SimRequest): Reply {
    const body = parse(schemas.whatsappNumber, req);
    const conflict = graphIdConflict(body.id, 'waNumber');
    if (conflict) return conflict;
    state.waNumbers.set(body.id, {
      id: body.id,
      displayPhoneNumber: body.displayPhoneNumber,
      verifiedName: body.verifiedName ?? body.displayPhoneNumber,
      wabaId: body.wabaId ?? `1${body.id}`,
      tier: body.tier === 'unlimited' ? null : body.tier,
      statuses: body.statuses,
      rateLimit: limitOr(body.rateLimit, 'whatsapp'),
      templates: new Map(),
      optedOut: new Set(),
      notOnWhatsApp: new Set(),
      recentRecipients: new Map(),
      webhook: body.webhook,
    });
    state.grantToken(body.accessToken, 'whatsapp', body.id, expiry(body.tokenExpiresInSeconds));
    return json(201, {
      platform: 'whatsapp',
      id: body.id,
      tier: tierName(body.tier === 'unlimited' ? null : body.tier),
    });
  }

  function numberAction(req: SimRequest, id: string, action: string): Reply {
    const number = state.waNumbers.get(id);
    if (!number) return problem(404, 'not_found', `No WhatsApp number ${id} is registered`);
    if (req.method === 'GET' && action === '')
      return json(200, {
        id: number.id,
        tier: tierName(number.tier),
        recentRecipients: number.recentRecipients.size,
        templates: [...number.templates.values()],
        optedOut: [...number.optedOut],
        notOnWhatsApp: [...number.notOnWhatsApp],
      });
    if (req.method === 'POST' && action === 'templates') {
      const body = parse(schemas.template, req);
      number.templates.set(`${body.name}:${body.language}`, body);
      return json(201, body);
    }
    if (req.method === 'PUT' && action === 'tier') {
      const body = parse(schemas.tier, req);
      number.tier = body.tier === 'unlimited' ? null : body.tier;
      return json(200, { id: number.id, tier: tierName(number.tier) });
    }
    if (req.method === 'POST' && action === 'subscribers') {
      const body = parse(schemas.subscribers, req);
      for (const waId of body.waIds.map(waIdOf)) {
        if (body.optedIn) number.optedOut.delete(waId);
        else number.optedOut.add(waId);
        if (body.onWhatsApp) number.notOnWhatsApp.delete(waId);
        else number.notOnWhatsApp.add(waId);
      }
      return json(200, {
        id: number.id,
        optedOut: [...number.optedOut],
        notOnWhatsApp: [...number.notOnWhatsApp],
      });
    }
    if (req.method === 'POST' && action === 'inbound') {
      const body = parse(schemas.inbound, req);
      return json(200, receiveInbound(sim, number, body));
    }
    return problem(404, 'not_found', `No control endpoint ${req.method} ${req.path}`);
  }

  function setWebhook(req: SimRequest): Reply {
    const body = parse(schemas.webhook, req);
    const target = { url: body.url, appSecret: body.appSecret };
    if (body.phoneNumberId === undefined) {
      state.defaultWebhook = target;
      return json(200, { scope: 'default', url: body.url });
    }
    const number = state.waNumbers.get(body.phoneNumberId);
    if (!number) return problem(404, 'not_found', `No WhatsApp number ${body.phoneNumberId} is registered`);
    number.webhook = target;
    return json(200, { scope: body.phoneNumberId, url: body.url });
  }

  function moveClock(req: SimRequest): Reply {
    const body = parse(schemas.clock, req);
    if (body.frozen !== undefined) clock.freeze(body.frozen);
    if (body.set !== undefined) clock.set(new Date(body.set));
    if (body.advanceSeconds !== undefined) clock.advance(body.advanceSeconds);
    return clockView();
  }

  const clockView = () => json(200, { now: new Date(clock.now()).toISOString(), frozen: clock.frozen });

  /** Revoking is the user withdrawing the app: on X every token of that user stops working. */
  function revokeToken(req: SimRequest): Reply {
    const body = parse(schemas.token, req);
    const access = state.tokens.get(body.token);
    const refresh = state.xRefreshTokens.get(body.token);
    if (!access && !refresh) return problem(404, 'not_found', 'No such token');
    if (access) access.revoked = true;
    if (refresh) refresh.revoked = true;
    const xUser = refresh?.account ?? access?.grants.find((g) => g.platform === 'x')?.account;
    if (xUser !== undefined) {
      for (const t of state.tokens.values())
        if (t.grants.some((g) => g.platform === 'x' && g.account === xUser)) t.revoked = true;
      for (const t of state.xRefreshTokens.values()) if (t.account === xUser) t.revoked = true;
    }
    return json(200, { revoked: true });
  }

  function expireToken(req: SimRequest): Reply {
    const body = parse(schemas.token, req);
    const access = state.tokens.get(body.token);
    if (!access) return problem(404, 'not_found', 'No such access token');
    access.expiresAt = clock.now();
    return json(200, { expiresAt: new Date(access.expiresAt).toISOString() });
  }

  return async function handle(req: SimRequest): Promise<Reply> {
    if (!options.enabled) return problem(404, 'not_found', 'The control API is disabled (SIM_CONTROL=false)');
    if (!authorized(req)) return problem(401, 'unauthorized', 'The control API needs the admin token');
    try {
      return await route(req);
    } catch (err) {
      if (err instanceof Refusal) return err.reply;
      throw err;
    }
  };

  async function route(req: SimRequest): Promise<Reply> {
    const { method, path } = req;
    const number = /^\/_sim\/whatsapp\/numbers\/(\d+)(?:\/([a-z]+))?$/.exec(path);
    const fault = /^\/_sim\/faults\/([\w-]+)$/.exec(path);
    switch (`${method} ${path}`) {
      case 'POST /_sim/reset':
        options.reset();
        return json(200, { reset: true });
      case 'POST /_sim/settle':
        await options.settle();
        return json(200, { settled: true });
      case 'GET /_sim/clock':
        return clockView();
      case 'POST /_sim/clock':
        return moveClock(req);
      case 'POST /_sim/x/accounts':
        return registerX(req);
      case 'POST /_sim/facebook/pages':
        return registerPage(req);
      case 'POST /_sim/instagram/users':
        return registerInstagram(req);
      case 'POST /_sim/whatsapp/numbers':
        return registerNumber(req);
      case 'PUT /_sim/whatsapp/webhook':
        return setWebhook(req);
      case 'POST /_sim/tokens/revoke':
        return revokeToken(req);
      case 'POST /_sim/tokens/expire':
        return expireToken(req);
      case 'GET /_sim/ledger':
        return json(200, {
          entries: state.ledger({
            platform: req.query.get('platform') ?? undefined,
            account: req.query.get('account') ?? undefined,
          }),
        });
      case 'GET /_sim/webhooks':
        return json(200, { deliveries: sim.webhooks.deliveries() });
      case 'GET /_sim/faults':
        return json(200, { faults: sim.faults.list() });
      case 'POST /_sim/faults': {
        return json(201, sim.faults.add(parse(schemas.fault, req)));
      }
      case 'DELETE /_sim/faults':
        sim.faults.clear();
        return json(200, { cleared: true });
    }
    if (number) return numberAction(req, number[1], number[2] ?? '');
    if (fault && method === 'DELETE')
      return sim.faults.remove(fault[1])
        ? json(200, { removed: fault[1] })
        : problem(404, 'not_found', 'No such fault');
    return problem(404, 'not_found', `No control endpoint ${method} ${path}`);
  }
}
