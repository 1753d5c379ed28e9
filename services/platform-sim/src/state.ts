// Everything the simulator knows, in memory: accounts and their tokens, what each platform holds
// (posts, containers, messages) and the ledger of everything really created. Reset empties it.
import { randomBytes } from 'node:crypto';

export type Platform = 'x' | 'facebook' | 'instagram' | 'whatsapp';
export const PLATFORMS: readonly Platform[] = ['x', 'facebook', 'instagram', 'whatsapp'];

export interface RateLimitConfig {
  limit: number;
  windowSeconds: number;
}

/** Rate limits per account when registration names none (null: none). */
export const DEFAULT_RATE_LIMITS: Record<Platform, RateLimitConfig | null> = {
  x: { limit: 300, windowSeconds: 900 },
  facebook: { limit: 200, windowSeconds: 3600 },
  instagram: { limit: 200, windowSeconds: 3600 },
  whatsapp: null,
};

/** One access token; a Meta token may be granted on several objects (a page and its Instagram account). */
export interface AccessToken {
  token: string;
  grants: { platform: Platform; account: string }[];
  /** Simulated epoch ms; null never expires. */
  expiresAt: number | null;
  revoked: boolean;
}

export interface XRefreshToken {
  token: string;
  account: string;
  clientId: string;
  used: boolean;
  revoked: boolean;
}

export interface XAccount {
  id: string;
  username: string;
  name: string;
  clientId: string;
  clientSecret?: string;
  accessTokenTtlSeconds: number;
  /** Chunked GIFs and videos: STATUS polls, or simulated seconds, before processing ends. */
  videoReadyAfterPolls: number;
  videoReadyAfterSeconds: number;
  rateLimit: RateLimitConfig | null;
}

export interface Tweet {
  id: string;
  authorId: string;
  /** The text as X shows it: with media, a t.co link to them is appended. */
  text: string;
  /** The text as it was sent (X's duplicate check compares these). */
  sentText: string;
  createdAt: number;
  mediaIds: string[];
  inReplyTo?: string;
}

export interface XMedia {
  id: string;
  owner: string;
  size: number;
  type: string;
  category: string;
  /** SHA-256 of the uploaded bytes, hex. */
  sha256: string;
  /** Set by `POST /2/media/metadata`. */
  altText?: string;
  expiresAt: number;
  /** A chunked upload: its segments until FINALIZE, then its processing. */
  chunked?: XChunkedUpload;
}

export interface XChunkedUpload {
  totalBytes: number;
  segments: Map<number, Buffer>;
  /** Simulated ms of FINALIZE; unset while segments are still being appended. */
  finalizedAt?: number;
  /** STATUS polls since FINALIZE. */
  polls: number;
  /** Set by an injected `containerError` fault on FINALIZE: processing ends in `failed`. */
  fails: boolean;
}

export interface FacebookPage {
  id: string;
  name: string;
  rateLimit: RateLimitConfig | null;
}

export interface PagePost {
  /** `<page id>_<post id>`, as Graph spells a page post. */
  id: string;
  pageId: string;
  message: string;
  link?: string;
  photoId?: string;
  imageUrl?: string;
  /** The unpublished photos attached with `attached_media` (their ids), in order. */
  attachedPhotoIds?: string[];
  videoId?: string;
  createdAt: number;
}

/** A photo uploaded to a page: published ones are page posts too; unpublished ones wait to be attached. */
export interface PagePhoto {
  id: string;
  pageId: string;
  published: boolean;
  caption: string;
  altText?: string;
  /** What reading its URL gave (media.ts `mediaDetails`). */
  media: Record<string, unknown>;
  /** The post it is attached to, once it is. */
  postId?: string;
  createdAt: number;
}

export interface InstagramUser {
  id: string;
  username: string;
  quotaTotal: number;
  readyAfterPolls: number;
  readyAfterSeconds: number;
  /** Video containers (REELS, VIDEO items) take longer to process. */
  videoReadyAfterPolls: number;
  videoReadyAfterSeconds: number;
  rateLimit: RateLimitConfig | null;
}

export type ContainerMediaType = 'IMAGE' | 'VIDEO' | 'REELS' | 'CAROUSEL';

export interface IgContainer {
  id: string;
  owner: string;
  mediaType: ContainerMediaType;
  imageUrl?: string;
  videoUrl?: string;
  /** What reading its media URL gave (media.ts `mediaDetails`); none for a carousel. */
  media?: Record<string, unknown>;
  caption: string;
  isCarouselItem: boolean;
  children: string[];
  createdAt: number;
  polls: number;
  /** Set by an injected `containerError` fault: processing ends in ERROR. */
  failed: boolean;
  publishedMediaId?: string;
}

export interface IgMedia {
  id: string;
  owner: string;
  caption: string;
  mediaType: 'IMAGE' | 'VIDEO' | 'CAROUSEL_ALBUM';
  mediaProductType: 'FEED' | 'REELS';
  containerId: string;
  createdAt: number;
  permalink: string;
}

export type TemplateStatus = 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED';

export interface WhatsAppTemplate {
  name: string;
  language: string;
  status: TemplateStatus;
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
  /** The body's text with `{{1}}`-style placeholders; their count is what a send must supply. */
  body?: string;
}

export type MessageStatus = 'sent' | 'delivered' | 'read';

export interface WebhookTarget {
  url: string;
  appSecret: string;
}

export interface WhatsAppNumber {
  id: string;
  displayPhoneNumber: string;
  verifiedName: string;
  wabaId: string;
  /** Unique recipients of business-initiated messages per rolling 24 hours; null is unlimited. */
  tier: number | null;
  /** The statuses each accepted message reports by webhook, in order. */
  statuses: MessageStatus[];
  rateLimit: RateLimitConfig | null;
  templates: Map<string, WhatsAppTemplate>;
  optedOut: Set<string>;
  notOnWhatsApp: Set<string>;
  /** wa_id → when last messaged (simulated ms), oldest first: the rolling tier window. */
  recentRecipients: Map<string, number>;
  webhook?: WebhookTarget;
}

export interface WhatsAppMessage {
  id: string;
  phoneNumberId: string;
  to: string;
  template: { name: string; language: string };
  createdAt: number;
}

export type LedgerKind = 'tweet' | 'page_post' | 'page_photo' | 'page_video' | 'ig_media' | 'wa_message';

/** Something a platform really created: the ground truth tests count against. */
export interface LedgerEntry {
  seq: number;
  platform: Platform;
  /** The X user, Facebook page, Instagram user or WhatsApp phone number id. */
  account: string;
  kind: LedgerKind;
  id: string;
  text: string;
  createdAt: string;
  details: Record<string, unknown>;
}

/** What a Graph id names. */
export type GraphNode =
  | { kind: 'page'; page: FacebookPage }
  | { kind: 'pagePost'; post: PagePost }
  | { kind: 'igUser'; user: InstagramUser }
  | { kind: 'igContainer'; container: IgContainer }
  | { kind: 'igMedia'; media: IgMedia }
  | { kind: 'waNumber'; number: WhatsAppNumber };

const TWITTER_EPOCH_MS = 1288834974657n;

export class SimState {
  readonly tokens = new Map<string, AccessToken>();
  readonly xRefreshTokens = new Map<string, XRefreshToken>();
  readonly xAccounts = new Map<string, XAccount>();
  readonly tweets = new Map<string, Tweet>();
  readonly xMedia = new Map<string, XMedia>();
  readonly pages = new Map<string, FacebookPage>();
  readonly pagePosts = new Map<string, PagePost>();
  readonly pagePhotos = new Map<string, PagePhoto>();
  readonly igUsers = new Map<string, InstagramUser>();
  readonly igContainers = new Map<string, IgContainer>();
  readonly igMedia = new Map<string, IgMedia>();
  /** Media publishes per Instagram user (simulated ms), for the rolling publishing quota. */
  readonly igPublishes = new Map<string, number[]>();
  readonly waNumbers = new Map<string, WhatsAppNumber>();
  readonly waMessages = new Map<string, WhatsAppMessage>();
  /** The default webhook for numbers without their own. */
  defaultWebhook?: WebhookTarget;
  private readonly ledgerEntries: LedgerEntry[] = [];
  private sequence = 0;
  private graphSequence = 0n;
  private lastXId = 0n;

  constructor(private readonly initialWebhook?: WebhookTarget) {
    this.defaultWebhook = initialWebhook;
  }

  reset(): void {
    for (const map of [
      this.tokens,
      this.xRefreshTokens,
      this.xAccounts,
      this.tweets,
      this.xMedia,
      this.pages,
      this.pagePosts,
      this.pagePhotos,
      this.igUsers,
      this.igContainers,
      this.igMedia,
      this.igPublishes,
      this.waNumbers,
      this.waMessages,
    ])
      map.clear();
    this.ledgerEntries.length = 0;
    this.sequence = 0;
    this.graphSequence = 0n;
    this.lastXId = 0n;
    this.defaultWebhook = this.initialWebhook;
  }

  /** A snowflake-shaped X id: time in the high bits, strictly increasing (newer posts sort higher). */
  nextXId(nowMs: number): string {
    let id = (BigInt(nowMs) - TWITTER_EPOCH_MS) << 22n;
    if (id <= this.lastXId) id = this.lastXId + 1n;
    this.lastXId = id;
    return id.toString();
  }

  /** A fresh numeric Graph id that no registered object uses. */
  nextGraphId(): string {
    for (;;) {
      this.graphSequence++;
      const id = (17_900_000_000_000_000n + this.graphSequence).toString();
      if (!this.graphNode(id)) return id;
    }
  }

  nextSequence(): number {
    return ++this.sequence;
  }

  graphNode(id: string): GraphNode | undefined {
    const page = this.pages.get(id);
    if (page) return { kind: 'page', page };
    const post = this.pagePosts.get(id);
    if (post) return { kind: 'pagePost', post };
    const user = this.igUsers.get(id);
    if (user) return { kind: 'igUser', user };
    const container = this.igContainers.get(id);
    if (container) return { kind: 'igContainer', container };
    const media = this.igMedia.get(id);
    if (media) return { kind: 'igMedia', media };
    const number = this.waNumbers.get(id);
    if (number) return { kind: 'waNumber', number };
    return undefined;
  }

  /** Grants a token on an account (registering it again renews it: new expiry, not revoked). */
  grantToken(token: string, platform: Platform, account: string, expiresAt: number | null): AccessToken {
    const existing = this.tokens.get(token);
    if (existing) {
      if (!existing.grants.some((g) => g.platform === platform && g.account === account))
        existing.grants.push({ platform, account });
      existing.expiresAt = expiresAt;
      existing.revoked = false;
      return existing;
    }
    const record: AccessToken = { token, grants: [{ platform, account }], expiresAt, revoked: false };
    this.tokens.set(token, record);
    return record;
  }

  record(entry: Omit<LedgerEntry, 'seq'>): LedgerEntry {
    const full = { seq: this.ledgerEntries.length + 1, ...entry };
    this.ledgerEntries.push(full);
    return full;
  }

  get ledgerSize(): number {
    return this.ledgerEntries.length;
  }

  ledger(filter: { platform?: string; account?: string } = {}): LedgerEntry[] {
    return this.ledgerEntries.filter(
      (e) =>
        (filter.platform === undefined || e.platform === filter.platform) &&
        (filter.account === undefined || e.account === filter.account),
    );
  }
}

/** An opaque random token (for refreshed X tokens). */
export function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}
