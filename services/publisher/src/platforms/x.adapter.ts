// X API v2: a post is `POST /2/tweets`; its images (or GIF) are fetched from their URLs, uploaded
// first (`POST /2/media/upload`), given their alt text (`POST /2/media/metadata`), and named in the
// post's `media.media_ids`. Reconciliation reads the user's recent posts; an expired access token is
// exchanged once for a new pair with the OAuth 2.0 refresh token (`POST /2/oauth2/token`), and the
// new pair is stored before it is used. Uploads are not posts: one made before a failure is simply
// made again by the next attempt (X lets unused media expire).
import type { AccountSecrets } from '../accounts/credentials';
import { isFailure, reasonOf, retryAfterMs, send, urlOf, type HttpReply } from './http';
import { fetchMedia, mediaKindOf, type FetchedMedia, type MediaKind } from './media';
import {
  noEngagement,
  type AdapterOptions,
  type CallFailure,
  type CallOutcome,
  type EngagementCounts,
  type InsightsOutcome,
  type InsightsRequest,
  type LookupOutcome,
  type PlatformAccount,
  type PlatformAdapter,
  type PublishSession,
  type PublishTarget,
  type RefreshOutcome,
} from './platform';
import { sameText } from './text-match';

interface XProblem {
  title?: string;
  detail?: string;
  errors?: { message?: string }[];
}

/** Pages of the user's timeline a look-up reads at most (100 posts each). */
const LOOKUP_PAGES = 3;

/** X's media categories and their size limits. */
const MEDIA: Record<Exclude<MediaKind, 'video'>, { category: string; maxBytes: number }> = {
  image: { category: 'tweet_image', maxBytes: 5 * 1024 * 1024 },
  gif: { category: 'tweet_gif', maxBytes: 15 * 1024 * 1024 },
};
const MAX_IMAGES = 4;
const MAX_ALT_TEXT = 1_000;

/** The claim was lost while media were fetched or uploaded: stop, the job's new holder decides. */
const TAKEN_OVER: CallFailure = {
  kind: 'uncertain',
  httpStatus: 0,
  error: 'Another worker took the publication over',
};

/** X shows a post with media with a t.co link to them appended: the text we sent is the rest. */
function withoutMediaLink(text: string): string {
  return text.replace(/\s*https:\/\/t\.co\/\S+\s*$/, '');
}

/** A failed upload posted nothing, even when its answer was lost: retry it rather than reconcile. */
function notPosted(failure: CallFailure): CallFailure {
  return failure.kind === 'uncertain' ? { ...failure, kind: 'unavailable' } : failure;
}

/** What an X error answer means for the post. */
function failureOf(reply: HttpReply): CallFailure {
  const p = (typeof reply.body === 'object' && reply.body ? reply.body : {}) as XProblem;
  const reason =
    [p.detail, ...(p.errors ?? []).map((e) => e.message)].filter(Boolean).join('; ') ||
    reasonOf(reply.body, `HTTP ${reply.status}`);
  const base = { httpStatus: reply.status, error: reason };
  if (reply.status === 401) return { kind: 'unauthorized', ...base };
  if (reply.status === 429)
    return { kind: 'rate-limited', ...base, retryAfterMs: retryAfterMs(reply.headers) };
  if (reply.status >= 500) return { kind: 'unavailable', ...base };
  // 400 invalid request, 403 duplicate content or not permitted: the same post would fail again.
  return { kind: 'refused', ...base };
}

export class XAdapter implements PlatformAdapter {
  readonly platform = 'X' as const;

  constructor(private readonly options: AdapterOptions) {}

  private auth(secrets: AccountSecrets) {
    return { authorization: `Bearer ${secrets.accessToken}` };
  }

  private permalink(account: PlatformAccount, id: string): string {
    return `https://x.com/${account.handle.replace(/^@/, '')}/status/${id}`;
  }

  async publish(target: PublishTarget, session: PublishSession): Promise<CallOutcome> {
    const fetched = await this.fetchAll(target);
    if (!Array.isArray(fetched)) return fetched;
    // Fetching may have taken a while: only the claim's holder may post.
    if (fetched.length > 0 && !(await session.extendLease())) return TAKEN_OVER;
    return this.withRefresh(target, session, async (secrets) => {
      const mediaIds: string[] = [];
      for (const item of fetched) {
        const id = await this.upload(target, secrets, item);
        if (typeof id !== 'string') return id;
        mediaIds.push(id);
      }
      if (mediaIds.length > 0 && !(await session.extendLease())) return TAKEN_OVER;
      const reply = await send(
        urlOf(target.account.baseUrl, '/2/tweets'),
        {
          method: 'POST',
          headers: this.auth(secrets),
          body: { text: target.text, ...(mediaIds.length > 0 ? { media: { media_ids: mediaIds } } : {}) },
        },
        this.options.timeoutMs,
      );
      if (isFailure(reply)) return reply;
      if (reply.status !== 201 && reply.status !== 200) return failureOf(reply);
      const id = (reply.body as { data?: { id?: string } } | undefined)?.data?.id;
      if (!id) return { kind: 'uncertain', httpStatus: reply.status, error: 'X answered without a post id' };
      return {
        kind: 'published',
        httpStatus: reply.status,
        externalId: id,
        url: this.permalink(target.account, id),
      };
    });
  }

  /** The content's media, fetched: up to 4 images or one GIF (X has no room for more, nor for mixes). */
  private async fetchAll(target: PublishTarget): Promise<FetchedMedia[] | CallFailure> {
    const kinds = target.media.map(mediaKindOf);
    const refuse = (error: string): CallFailure => ({ kind: 'refused', httpStatus: 0, error });
    if (kinds.includes('video'))
      return refuse(
        'Prasar does not post videos to X yet (X takes videos only through its chunked upload); post the images, or the video elsewhere',
      );
    if (new Set(kinds).size > 1 || (kinds.includes('gif') && kinds.length > 1))
      return refuse('An X post takes up to 4 images or one GIF, not a mix');
    if (kinds.length > MAX_IMAGES) return refuse(`An X post takes at most ${MAX_IMAGES} images`);
    const results = await Promise.all(
      target.media.map((m) =>
        fetchMedia(m, {
          maxBytes: MEDIA[mediaKindOf(m) as 'image' | 'gif'].maxBytes,
          timeoutMs: this.options.mediaTimeoutMs,
          policy: this.options.mediaPolicy,
        }),
      ),
    );
    // A refusal outranks a passing trouble: retrying would not help.
    const failures = results.filter((r): r is CallFailure => 'kind' in r);
    if (failures.length > 0) return failures.find((f) => f.kind === 'refused') ?? failures[0];
    return results as FetchedMedia[];
  }

  /** Uploads one file (`POST /2/media/upload`, multipart) and sets its alt text; the media id, or why not. */
  private async upload(
    target: PublishTarget,
    secrets: AccountSecrets,
    item: FetchedMedia,
  ): Promise<string | CallFailure> {
    const { category } = MEDIA[mediaKindOf(item.media) as 'image' | 'gif'];
    const form = new FormData();
    form.append('media', new Blob([new Uint8Array(item.bytes)], { type: item.contentType }), 'media');
    form.append('media_category', category);
    form.append('media_type', item.contentType);
    const reply = await send(
      urlOf(target.account.baseUrl, '/2/media/upload'),
      { method: 'POST', headers: this.auth(secrets), body: form },
      this.options.timeoutMs,
    );
    if (isFailure(reply)) return notPosted(reply);
    if (reply.status !== 200 && reply.status !== 201) return notPosted(failureOf(reply));
    const id = (reply.body as { data?: { id?: string } } | undefined)?.data?.id;
    if (!id)
      return {
        kind: 'unavailable',
        httpStatus: reply.status,
        error: 'X answered an upload without a media id',
      };
    const alt = item.media.altText.trim();
    if (alt) {
      const set = await send(
        urlOf(target.account.baseUrl, '/2/media/metadata'),
        {
          method: 'POST',
          headers: this.auth(secrets),
          body: { id, metadata: { alt_text: { text: alt.slice(0, MAX_ALT_TEXT) } } },
        },
        this.options.timeoutMs,
      );
      if (isFailure(set)) return notPosted(set);
      if (set.status !== 200 && set.status !== 201) return notPosted(failureOf(set));
    }
    return id;
  }

  async lookup(target: PublishTarget, session: PublishSession): Promise<LookupOutcome> {
    return this.withRefresh(target, session, async (secrets) => {
      let token: string | undefined;
      for (let page = 0; page < LOOKUP_PAGES; page++) {
        const reply = await send(
          urlOf(target.account.baseUrl, `/2/users/${target.account.externalAccountId}/tweets`, {
            max_results: '100',
            'tweet.fields': 'created_at',
            ...(token ? { pagination_token: token } : {}),
          }),
          { headers: this.auth(secrets) },
          this.options.timeoutMs,
        );
        if (isFailure(reply)) return reply;
        if (reply.status !== 200) return failureOf(reply);
        const body = reply.body as {
          data?: { id: string; text: string; created_at?: string }[];
          meta?: { next_token?: string };
        };
        const posts = body.data ?? [];
        const match = posts.find(
          (t) =>
            sameText(t.text, target.text) ||
            (target.media.length > 0 && sameText(withoutMediaLink(t.text), target.text)),
        );
        if (match)
          return {
            kind: 'found',
            httpStatus: 200,
            externalId: match.id,
            url: this.permalink(target.account, match.id),
          };
        // Newest first: once the page reaches before the first attempt, the post is not there.
        const oldest = posts.at(-1)?.created_at;
        const searchedPast =
          oldest !== undefined && Date.parse(oldest) < target.firstAttemptAt.getTime() - 3_600_000;
        token = body.meta?.next_token;
        if (!token || searchedPast) break;
      }
      return { kind: 'absent', httpStatus: 200 };
    });
  }

  async refresh(account: PlatformAccount, secrets: AccountSecrets): Promise<RefreshOutcome> {
    if (!secrets.refreshToken || !secrets.clientId)
      return {
        kind: 'unauthorized',
        httpStatus: 401,
        error: 'The access token expired and the account has no refresh token: reconnect it',
      };
    const headers: Record<string, string> = {};
    if (secrets.clientSecret)
      headers.authorization = `Basic ${Buffer.from(`${secrets.clientId}:${secrets.clientSecret}`).toString('base64')}`;
    const reply = await send(
      urlOf(account.baseUrl, '/2/oauth2/token'),
      {
        method: 'POST',
        headers,
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: secrets.refreshToken,
          client_id: secrets.clientId,
        }),
      },
      this.options.timeoutMs,
    );
    if (isFailure(reply)) return reply;
    const body = reply.body as { access_token?: string; refresh_token?: string; error_description?: string };
    if (reply.status === 200 && body.access_token)
      return {
        kind: 'refreshed',
        secrets: {
          ...secrets,
          accessToken: body.access_token,
          refreshToken: body.refresh_token ?? secrets.refreshToken,
        },
      };
    if (reply.status === 429 || reply.status >= 500) return failureOf(reply);
    // invalid_request / unauthorized_client: the refresh token is spent or revoked.
    return {
      kind: 'unauthorized',
      httpStatus: reply.status,
      error: `The token could not be refreshed: ${body.error_description ?? reasonOf(reply.body, `HTTP ${reply.status}`)}`,
    };
  }

  async insights(req: InsightsRequest): Promise<InsightsOutcome> {
    const metrics = new Map<string, EngagementCounts>();
    for (let i = 0; i < req.externalIds.length; i += 100) {
      const ids = req.externalIds.slice(i, i + 100);
      const reply = await send(
        urlOf(req.account.baseUrl, '/2/tweets', {
          ids: ids.join(','),
          'tweet.fields': 'public_metrics,non_public_metrics',
        }),
        { headers: this.auth(req.secrets) },
        this.options.timeoutMs,
      );
      if (isFailure(reply)) return reply;
      if (reply.status !== 200) return failureOf(reply);
      const data = (
        reply.body as {
          data?: {
            id: string;
            public_metrics?: Record<string, number>;
            non_public_metrics?: Record<string, number>;
          }[];
        }
      ).data;
      for (const t of data ?? []) {
        const pub = t.public_metrics ?? {};
        const priv = t.non_public_metrics ?? {};
        metrics.set(t.id, {
          ...noEngagement(),
          impressions: pub.impression_count ?? priv.impression_count ?? 0,
          likes: pub.like_count ?? 0,
          shares: (pub.retweet_count ?? 0) + (pub.quote_count ?? 0),
          comments: pub.reply_count ?? 0,
          clicks: (priv.url_link_clicks ?? 0) + (priv.user_profile_clicks ?? 0),
        });
      }
    }
    return { kind: 'metrics', metrics };
  }

  /** Runs a call; on 401 refreshes once (serialised per account, the new pair stored first) and runs it again. */
  private async withRefresh<T extends CallOutcome | LookupOutcome>(
    target: PublishTarget,
    session: PublishSession,
    call: (secrets: AccountSecrets) => Promise<T>,
  ): Promise<T | CallFailure> {
    const first = await call(target.secrets);
    if (first.kind !== 'unauthorized') return first;
    const refreshed = await session.refreshSecrets(target.secrets, (current) =>
      this.refresh(target.account, current),
    );
    if (refreshed.kind !== 'refreshed') return refreshed;
    target.secrets = refreshed.secrets;
    return call(refreshed.secrets);
  }
}
