// The shapes shared by the server and the platform modules: the simulator's parts, and the route
// a platform module returns for a request (who is calling, and what the call does).
import type { Logger } from '@prasar/telemetry';
import type { SimClock } from './clock';
import type { Fault, FaultKind, FaultTable } from './faults';
import type { Reply, SimRequest } from './http';
import type { RateLimiter, RateLimitUsage } from './rate-limits';
import type { Platform, RateLimitConfig, SimState } from './state';
import type { WebhookDispatcher } from './webhooks';

/** The simulator's parts, as every handler sees them. */
export interface Sim {
  state: SimState;
  clock: SimClock;
  faults: FaultTable;
  limiter: RateLimiter;
  webhooks: WebhookDispatcher;
  log: Logger;
}

/** A call being handled: the parsed request, the authenticated account and the faults firing on it. */
export interface CallContext {
  req: SimRequest;
  account: string;
  faults: Map<FaultKind, Fault>;
}

/** Authentication passed (the account the call acts for) or failed (the platform's refusal). */
export type AuthOutcome = { account: string } | { reply: Reply };

/** What a platform module resolves a request to. */
export interface PlatformRoute {
  platform: Platform;
  /** A stable name (`x.tweets.create`) that faults and metrics use. */
  operation: string;
  authenticate(req: SimRequest): AuthOutcome;
  /** Performs the call; anything it creates is committed (and in the ledger) when it returns. */
  execute(call: CallContext): Reply | Promise<Reply>;
  /** The per-account rate limit the call counts against (none when absent or null). */
  rateLimitOf?(account: string): RateLimitConfig | null;
}

/** A 429 to render: when the caller may retry, and the budget behind it when it was a real limit. */
export interface RateLimitRefusal {
  retryAfterSeconds: number;
  /** Simulated epoch ms. */
  resetAt: number;
  usage?: RateLimitUsage;
}

/** How a platform words the refusals the simulator injects or enforces. */
export interface PlatformErrors {
  serverError(status: number): Reply;
  rateLimited(refusal: RateLimitRefusal, account: string): Reply;
  blocked(): Reply;
  badBody(message: string, status: number): Reply;
  /** Headers every answer carries about the caller's rate-limit usage. */
  usageHeaders?(usage: RateLimitUsage, account: string): Record<string, string>;
}
