// One interface, one class per platform: what the worker and the engagement poller call. Adapters
// speak HTTP only; what must survive a crash (a container id, refreshed tokens, who got a
// broadcast) they hand back through the session the worker gives them.
import type { Platform } from '@prasar/compliance';
import type { AccountSecrets } from '../accounts/credentials';
import type { MediaFetchPolicy } from './address-guard';

/** An account as an adapter needs it: no department logic, only where and as whom to call. */
export interface PlatformAccount {
  id: string;
  handle: string;
  /** X user id, page id, Instagram user id or phone-number id. */
  externalAccountId: string;
  /** The base URL to call (the account's override, else the configured one). */
  baseUrl: string;
  whatsappTemplate: string | null;
  whatsappTemplateLanguage: string | null;
}

export interface PublishMedia {
  url: string;
  mimeType: string;
  altText: string;
}

/** One publication, rendered for its platform. */
export interface PublishTarget {
  publicationId: string;
  account: PlatformAccount;
  secrets: AccountSecrets;
  /** The text as it goes out (override or composed, as the compliance library renders it). */
  text: string;
  link: string | null;
  media: readonly PublishMedia[];
  /** Instagram: the container made by an earlier attempt, if any. */
  igContainerId: string | null;
  /** When the first attempt began: a look-up need not search before it. */
  firstAttemptAt: Date;
}

/** Who a broadcast goes to, batch by batch (WhatsApp only; backed by per-recipient rows). */
export interface BroadcastAudience {
  /** Recipients to message now; none and `deferredUntil` set when the daily tier is used up. */
  nextBatch(): Promise<{ recipients: string[]; deferredUntil: Date | null; lost: boolean }>;
  /** What happened to each recipient of the batch. */
  record(results: RecipientResult[]): Promise<void>;
  /** Recipients known to have been messaged for this publication (uncertain ones confirmed where possible). */
  sentCount(): Promise<number>;
  /** Recipients the broadcast ever had (0: nobody had opted in). */
  size(): Promise<number>;
}

export type RecipientResult =
  | { waId: string; kind: 'sent'; messageId: string }
  /** The platform refused this recipient for good (not a valid number, …). */
  | { waId: string; kind: 'failed'; error: string }
  | { waId: string; kind: 'opted-out'; error: string }
  /** Not sent (answered 429/5xx, or never reached the platform): may be sent later. */
  | { waId: string; kind: 'not-sent'; error: string }
  /** Perhaps sent: never sent again for this publication. */
  | { waId: string; kind: 'uncertain'; error: string };

/** What the worker lets an adapter do while it works. */
export interface PublishSession {
  /**
   * Instagram: keeps the container id (committed before anything is published with it); false
   * when another worker has taken the job over, and nothing more may be done for it.
   */
  rememberContainer(containerId: string | null): Promise<boolean>;
  /** Keeps the claim alive during long work; false when another worker has taken the job over. */
  extendLease(): Promise<boolean>;
  /**
   * Refreshes the account's secrets once across every caller (serialised per account), storing
   * them before they are used; `stale` are the secrets the platform just refused.
   */
  refreshSecrets(
    stale: AccountSecrets,
    refresher: (current: AccountSecrets) => Promise<RefreshOutcome>,
  ): Promise<RefreshOutcome>;
  audience?: BroadcastAudience;
}

interface Failure {
  httpStatus: number;
  /** The platform's reason, in its words. */
  error: string;
}

/** How a platform call ended, from the only point of view that matters: could it have posted? */
export type CallOutcome =
  | { kind: 'published'; httpStatus: number; externalId: string; url: string | null; recipients?: number }
  /** 429 or a quota: nothing was posted; wait at least `retryAfterMs` when the platform said. */
  | (Failure & { kind: 'rate-limited'; retryAfterMs: number | null })
  /** 5xx answered, or the request never left: nothing was posted. */
  | (Failure & { kind: 'unavailable' })
  /** Timeout or connection lost after sending: it may have posted. Reconcile before anything else. */
  | (Failure & { kind: 'uncertain' })
  /** A permanent refusal (duplicate, invalid, policy). */
  | (Failure & { kind: 'refused' })
  /** The token is expired or revoked (after any refresh the platform allows). */
  | (Failure & { kind: 'unauthorized' });

export type CallFailure = Exclude<CallOutcome, { kind: 'published' }>;

/** A reconciliation: the post exists, it does not, or the look-up itself failed. */
export type LookupOutcome =
  | { kind: 'found'; httpStatus: number; externalId: string; url: string | null; recipients?: number }
  | { kind: 'absent'; httpStatus: number }
  | CallFailure;

/** Cumulative counts as the platform reports them (0 for what it does not report). */
export interface EngagementCounts {
  impressions: number;
  reach: number;
  likes: number;
  shares: number;
  comments: number;
  clicks: number;
  videoViews: number;
}

/** A WhatsApp broadcast's delivery statuses, which stand in for an insights API. */
export interface BroadcastCounts {
  sent: number;
  delivered: number;
  read: number;
}

export interface InsightsRequest {
  account: PlatformAccount;
  secrets: AccountSecrets;
  /** Posts of this account, by their platform ids. */
  externalIds: string[];
  /** WhatsApp: per external id (the broadcast), what the status webhooks reported. */
  broadcasts?: Map<string, BroadcastCounts>;
}

export type InsightsOutcome = { kind: 'metrics'; metrics: Map<string, EngagementCounts> } | CallFailure;

/** A refreshed set of secrets, or why there is none. */
export type RefreshOutcome = { kind: 'refreshed'; secrets: AccountSecrets } | CallFailure;

/** Everything the publisher does on one platform. */
export interface PlatformAdapter {
  readonly platform: Platform;
  /** Makes the post (or, for WhatsApp, sends the broadcast's remaining messages). */
  publish(target: PublishTarget, session: PublishSession): Promise<CallOutcome>;
  /** Looks for a post an earlier, uncertain attempt may have made. */
  lookup(target: PublishTarget, session: PublishSession): Promise<LookupOutcome>;
  /** Exchanges a refresh token for new secrets, where the platform has that (X). */
  refresh?(account: PlatformAccount, secrets: AccountSecrets): Promise<RefreshOutcome>;
  /** Engagement of published posts. */
  insights(request: InsightsRequest): Promise<InsightsOutcome>;
}

/** Zero counts, for what a platform does not report. */
export function noEngagement(): EngagementCounts {
  return { impressions: 0, reach: 0, likes: 0, shares: 0, comments: 0, clicks: 0, videoViews: 0 };
}

/** What every adapter is configured with. */
export interface AdapterOptions {
  /** Deadline of each HTTP request. */
  timeoutMs: number;
  /** Deadline of fetching one media file from its URL (X uploads the bytes itself). */
  mediaTimeoutMs: number;
  /** The largest media file fetched into memory, whatever the platform would take. */
  mediaMaxBytes: number;
  /** Where media may be fetched from (address-guard.ts). */
  mediaPolicy: MediaFetchPolicy;
  /** X: the longest wait between media STATUS checks (X's `check_after_secs` is honoured up to it), and checks per attempt. */
  xMediaStatusMaxWaitMs: number;
  xMediaStatusMaxPolls: number;
  /** Graph API version in paths (`v21.0`). */
  graphVersion: string;
  /** Instagram: pause between container status polls, and how many polls an attempt makes. */
  containerPollMs: number;
  containerMaxPolls: number;
  /** WhatsApp: messages in flight at once. */
  concurrency: number;
}
