// A typed client for the platform simulator's control API (`/_sim/`), for tests: register accounts
// and tokens, shape WhatsApp numbers, inject faults, move the simulated clock, read the ledger.
// It speaks HTTP only (services/platform-sim/README.md documents the API); it imports nothing from
// the service.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SimPlatform = 'x' | 'facebook' | 'instagram' | 'whatsapp';

/** A per-account budget of calls per window; null switches the platform's default off. */
export interface SimRateLimit {
  limit: number;
  windowSeconds: number;
}

export interface SimXAccount {
  /** The X user id (numeric string). */
  id: string;
  username: string;
  name?: string;
  accessToken: string;
  refreshToken?: string;
  /** The OAuth 2.0 client the refresh token belongs to (default `prasar-x-client`). */
  clientId?: string;
  clientSecret?: string;
  /** Access-token lifetime in simulated seconds (default 7200, X's two hours). */
  accessTokenTtlSeconds?: number;
  /**
   * A chunked GIF or video is processed after FINALIZE: STATUS answers in_progress for this many
   * polls (default 2), or until this many simulated seconds have passed (default 30).
   */
  videoReadyAfterPolls?: number;
  videoReadyAfterSeconds?: number;
  rateLimit?: SimRateLimit | null;
}

export interface SimFacebookPage {
  id: string;
  name: string;
  accessToken: string;
  tokenExpiresInSeconds?: number;
  rateLimit?: SimRateLimit | null;
}

export interface SimInstagramUser {
  id: string;
  username: string;
  accessToken: string;
  tokenExpiresInSeconds?: number;
  /** Media publishes allowed per rolling 24 hours (default 50). */
  publishingQuota?: number;
  /** How many status polls answer IN_PROGRESS before FINISHED (default 1). */
  containerReadyAfterPolls?: number;
  /** Or how many simulated seconds processing takes (default 30); whichever comes first. */
  containerReadyAfterSeconds?: number;
  /** The same for video containers (REELS, VIDEO items): default 3 polls or 60 seconds. */
  videoReadyAfterPolls?: number;
  videoReadyAfterSeconds?: number;
  rateLimit?: SimRateLimit | null;
}

export type SimMessageStatus = 'sent' | 'delivered' | 'read';

export interface SimWebhook {
  url: string;
  appSecret: string;
}

export interface SimWhatsAppNumber {
  /** The phone-number id the Cloud API addresses. */
  id: string;
  displayPhoneNumber: string;
  verifiedName?: string;
  wabaId?: string;
  accessToken: string;
  tokenExpiresInSeconds?: number;
  /** Unique recipients per rolling 24 hours (default 250). */
  tier?: number | 'unlimited';
  /** Statuses each accepted message reports by webhook (default sent, delivered, read). */
  statuses?: SimMessageStatus[];
  rateLimit?: SimRateLimit | null;
  webhook?: SimWebhook;
}

export interface SimTemplate {
  name: string;
  /** The language code, e.g. `hi` or `en_US`. */
  language: string;
  status?: 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED';
  category?: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
  /** Body text with `{{1}}` placeholders: a send must supply exactly that many body parameters. */
  body?: string;
}

export type SimFaultKind =
  'latency' | 'error' | 'rateLimit' | 'blocked' | 'timeoutAfterCommit' | 'containerError';

export interface SimFaultSpec {
  kind: SimFaultKind;
  platform?: SimPlatform;
  /** The account (X user, page, Instagram user or phone-number id) whose calls it hits. */
  account?: string;
  /** An operation name such as `x.tweets.create` (README lists them). */
  operation?: string;
  /** The next N matching calls; omitted, every matching call until removed. */
  count?: number;
  /** A share of matching calls, drawn from a PRNG seeded with `seed`. */
  probability?: number;
  seed?: number;
  latencyMs?: number;
  /** The 5xx status of an `error` fault (default 503). */
  status?: number;
  retryAfterSeconds?: number;
  /** `timeoutAfterCommit`: `drop` the connection (default) or `delay` the reply by `delayMs`. */
  mode?: 'drop' | 'delay';
  delayMs?: number;
}

export interface SimFault extends SimFaultSpec {
  id: string;
  fired: number;
}

export interface SimLedgerEntry {
  seq: number;
  platform: SimPlatform;
  account: string;
  kind: 'tweet' | 'page_post' | 'page_photo' | 'page_video' | 'ig_media' | 'wa_message';
  id: string;
  text: string;
  createdAt: string;
  details: Record<string, unknown>;
}

export interface SimWebhookDelivery {
  url: string;
  event: string;
  status: number | null;
  error?: string;
  payload: unknown;
}

export interface SimClockState {
  now: string;
  frozen: boolean;
}

export interface SimWhatsAppNumberState {
  id: string;
  tier: string;
  recentRecipients: number;
  templates: SimTemplate[];
  optedOut: string[];
  notOnWhatsApp: string[];
}

/** How `GET /media/<name>` should answer (test media the simulator generates). */
export interface SimMediaOptions {
  /** Pad the file to about this many bytes. */
  bytes?: number;
  /** Answer this 4xx/5xx status instead of the file. */
  status?: number;
  /** Answer this late (real milliseconds). */
  delayMs?: number;
  /** Serve this content type instead of the extension's. */
  type?: string;
}

/** The control API refused a call. */
export class PlatformSimError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`platform-sim control API answered ${status}: ${JSON.stringify(body)}`);
    this.name = 'PlatformSimError';
  }
}

/** The control API of one simulator. */
export interface PlatformSim {
  readonly baseUrl: string;
  /**
   * The URL of a file the simulator serves: `<name>.jpg|.png|.gif|.mp4|.html`, bytes that depend on
   * the name; a name starting with `missing` is a 404. No admin token is needed to fetch it.
   */
  mediaUrl(name: string, options?: SimMediaOptions): string;
  /** The bytes `mediaUrl(name)` serves (fetched), to compare with what a platform recorded. */
  mediaBytes(name: string, options?: SimMediaOptions): Promise<Buffer>;
  registerXAccount(account: SimXAccount): Promise<{ id: string; accessTokenExpiresAt: string }>;
  registerFacebookPage(page: SimFacebookPage): Promise<{ id: string }>;
  registerInstagramUser(user: SimInstagramUser): Promise<{ id: string }>;
  registerWhatsAppNumber(number: SimWhatsAppNumber): Promise<{ id: string; tier: string }>;
  registerTemplate(phoneNumberId: string, template: SimTemplate): Promise<SimTemplate>;
  setTier(phoneNumberId: string, tier: number | 'unlimited'): Promise<{ id: string; tier: string }>;
  /** Opt recipients in or out, or mark them as not on WhatsApp (their messages fail by webhook). */
  setSubscribers(
    phoneNumberId: string,
    subscribers: { waIds: string[]; optedIn?: boolean; onWhatsApp?: boolean },
  ): Promise<{ optedOut: string[]; notOnWhatsApp: string[] }>;
  /** A user writes to the number; the business's webhook receives it; `STOP` also opts the user out. */
  sendInbound(
    phoneNumberId: string,
    message: { from: string; text: string; name?: string },
  ): Promise<{ id: string; optedOut: boolean; delivered: boolean }>;
  /** Where WhatsApp webhooks go: one number's, or the default (no phoneNumberId). */
  setWebhook(webhook: SimWebhook & { phoneNumberId?: string }): Promise<void>;
  whatsappNumber(phoneNumberId: string): Promise<SimWhatsAppNumberState>;
  injectFault(fault: SimFaultSpec): Promise<SimFault>;
  faults(): Promise<SimFault[]>;
  removeFault(id: string): Promise<void>;
  clearFaults(): Promise<void>;
  revokeToken(token: string): Promise<void>;
  expireToken(token: string): Promise<void>;
  advanceClock(seconds: number): Promise<SimClockState>;
  setClock(clock: { set?: string; frozen?: boolean }): Promise<SimClockState>;
  clock(): Promise<SimClockState>;
  ledger(filter?: { platform?: SimPlatform; account?: string }): Promise<SimLedgerEntry[]>;
  webhookDeliveries(): Promise<SimWebhookDelivery[]>;
  /** Waits until calls in flight are handled and queued webhooks were attempted. */
  settle(): Promise<void>;
  reset(): Promise<void>;
}

/** A client for the simulator at `baseUrl` (e.g. `http://127.0.0.1:4900`). */
export function platformSim(options: { baseUrl: string; adminToken: string }): PlatformSim {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${baseUrl}/_sim${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new PlatformSimError(res.status, parsed);
    return parsed as T;
  }
  const number = (id: string) => `/whatsapp/numbers/${encodeURIComponent(id)}`;
  const mediaUrl = (name: string, media: SimMediaOptions = {}) => {
    const query = new URLSearchParams(
      Object.entries(media)
        .filter((e) => e[1] !== undefined)
        .map(([k, v]) => [k, String(v)]),
    ).toString();
    return `${baseUrl}/media/${encodeURIComponent(name)}${query ? `?${query}` : ''}`;
  };
  return {
    baseUrl,
    mediaUrl,
    mediaBytes: async (name, media) => {
      const res = await fetch(mediaUrl(name, media));
      if (!res.ok) throw new PlatformSimError(res.status, await res.text());
      return Buffer.from(await res.arrayBuffer());
    },
    registerXAccount: (account) => call('POST', '/x/accounts', account),
    registerFacebookPage: (page) => call('POST', '/facebook/pages', page),
    registerInstagramUser: (user) => call('POST', '/instagram/users', user),
    registerWhatsAppNumber: (n) => call('POST', '/whatsapp/numbers', n),
    registerTemplate: (id, template) => call('POST', `${number(id)}/templates`, template),
    setTier: (id, tier) => call('PUT', `${number(id)}/tier`, { tier }),
    setSubscribers: (id, subscribers) => call('POST', `${number(id)}/subscribers`, subscribers),
    sendInbound: (id, message) => call('POST', `${number(id)}/inbound`, message),
    setWebhook: async (webhook) => void (await call('PUT', '/whatsapp/webhook', webhook)),
    whatsappNumber: (id) => call('GET', number(id)),
    injectFault: (fault) => call('POST', '/faults', fault),
    faults: async () => (await call<{ faults: SimFault[] }>('GET', '/faults')).faults,
    removeFault: async (id) => void (await call('DELETE', `/faults/${encodeURIComponent(id)}`)),
    clearFaults: async () => void (await call('DELETE', '/faults')),
    revokeToken: async (token) => void (await call('POST', '/tokens/revoke', { token })),
    expireToken: async (token) => void (await call('POST', '/tokens/expire', { token })),
    advanceClock: (seconds) => call('POST', '/clock', { advanceSeconds: seconds }),
    setClock: (clock) => call('POST', '/clock', clock),
    clock: () => call('GET', '/clock'),
    ledger: async (filter = {}) => {
      const query = new URLSearchParams(
        Object.entries(filter).filter((e): e is [string, string] => typeof e[1] === 'string'),
      ).toString();
      return (await call<{ entries: SimLedgerEntry[] }>('GET', `/ledger${query ? `?${query}` : ''}`)).entries;
    },
    webhookDeliveries: async () =>
      (await call<{ deliveries: SimWebhookDelivery[] }>('GET', '/webhooks')).deliveries,
    settle: async () => void (await call('POST', '/settle')),
    reset: async () => void (await call('POST', '/reset')),
  };
}

/** Checks Meta's `X-Hub-Signature-256` header (`sha256=<hex HMAC of the raw body>`) in constant time. */
export function verifyMetaSignature(
  rawBody: string | Buffer,
  header: string | undefined,
  appSecret: string,
): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1], 'hex'));
}
