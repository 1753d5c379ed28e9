// X API v2: a post is `POST /2/tweets`; its images (or GIF, or video) are fetched from their URLs,
// uploaded first, given their alt text (`POST /2/media/metadata`), and named in the post's
// `media.media_ids`. Images go through the simple upload (`POST /2/media/upload`); a GIF or a video
// only through the chunked one: `POST /2/media/upload/initialize`, `…/{id}/append` per segment,
// `…/{id}/finalize`, then `GET /2/media/upload?command=STATUS` while X processes it.
// Reconciliation reads the user's recent posts; an expired access token is exchanged once for a new
// pair with the OAuth 2.0 refresh token (`POST /2/oauth2/token`), and the new pair is stored before
// it is used. Uploads are not posts: one made before a failure is simply made again by the next
// attempt (X lets unused media expire).
import { createHash } from 'node:crypto';
import type { AccountSecrets } from '../accounts/credentials';
import { isFailure, reasonOf, retryAfterMs, send, sleep, urlOf, type HttpReply } from './http';
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

/** X's media categories, their size limits, and whether they must be uploaded in chunks. */
const MEDIA: Record<MediaKind, { category: string; maxBytes: number; chunked: boolean }> = {
  image: { category: 'tweet_image', maxBytes: 5 * 1024 * 1024, chunked: false },
  gif: { category: 'tweet_gif', maxBytes: 15 * 1024 * 1024, chunked: true },
  video: { category: 'tweet_video', maxBytes: 512 * 1024 * 1024, chunked: true },
};
/** Bytes per APPEND (X takes at most 5 MB a segment). */
export const X_SEGMENT_BYTES = 4 * 1024 * 1024;

/** Uploads left processing that an adapter remembers at most. */
const MAX_REMEMBERED_UPLOADS = 1_000;

interface ProcessingInfo {
  state?: 'pending' | 'in_progress' | 'succeeded' | 'failed';
  check_after_secs?: number;
  error?: { code?: number; name?: string; message?: string };
}
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
  /**
   * GIFs and videos an attempt left processing at X, by publication, account and file digest, so
   * that the next attempt in this process checks them again instead of uploading anew. Losing it
   * (a restart, another replica) only costs an upload.
   */
  private readonly processing = new Map<string, { id: string; expiresAt: number }>();

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
        const id = await this.upload(target, session, secrets, item);
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

  /** The content's media, fetched: up to 4 images, or one GIF, or one video (X has no room for more, nor for mixes). */
  private async fetchAll(target: PublishTarget): Promise<FetchedMedia[] | CallFailure> {
    const kinds = target.media.map(mediaKindOf);
    const refuse = (error: string): CallFailure => ({ kind: 'refused', httpStatus: 0, error });
    if (new Set(kinds).size > 1 || (kinds.some((k) => k !== 'image') && kinds.length > 1))
      return refuse('An X post takes up to 4 images, or one GIF, or one video, not a mix');
    if (kinds.length > MAX_IMAGES) return refuse(`An X post takes at most ${MAX_IMAGES} images`);
    const results = await Promise.all(
      target.media.map((m) =>
        fetchMedia(m, {
          maxBytes: Math.min(MEDIA[mediaKindOf(m)].maxBytes, this.options.mediaMaxBytes),
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

  /** Uploads one file (simple or chunked) and sets its alt text; the media id, or why not. */
  private async upload(
    target: PublishTarget,
    session: PublishSession,
    secrets: AccountSecrets,
    item: FetchedMedia,
  ): Promise<string | CallFailure> {
    const { category, chunked } = MEDIA[mediaKindOf(item.media)];
    const id = chunked
      ? await this.uploadInChunks(target, session, secrets, item, category)
      : await this.uploadSimple(target, secrets, item, category);
    if (typeof id !== 'string') return id;
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

  /** An image: `POST /2/media/upload`, multipart. */
  private async uploadSimple(
    target: PublishTarget,
    secrets: AccountSecrets,
    item: FetchedMedia,
    category: string,
  ): Promise<string | CallFailure> {
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
    return id;
  }

  /**
   * A GIF or a video: initialize, append each segment, finalize, then wait while X processes it
   * (STATUS, as often as `check_after_secs` says, bounded per attempt). Nothing of this is a post:
   * whatever fails, the next attempt uploads again, and X drops the unused media; only a file still
   * processing is looked at again by the next attempt (in this process).
   */
  private async uploadInChunks(
    target: PublishTarget,
    session: PublishSession,
    secrets: AccountSecrets,
    item: FetchedMedia,
    category: string,
  ): Promise<string | CallFailure> {
    const base = target.account.baseUrl;
    const call = async (
      path: string,
      body?: Record<string, unknown> | FormData,
      query?: Record<string, string>,
    ) => {
      const reply = await send(
        urlOf(base, path, query),
        { method: body === undefined && query ? 'GET' : 'POST', headers: this.auth(secrets), body },
        this.options.timeoutMs,
      );
      if (isFailure(reply)) return notPosted(reply);
      if (reply.status !== 200 && reply.status !== 201) return notPosted(failureOf(reply));
      return (
        (
          reply.body as
            | { data?: { id?: string; expires_after_secs?: number; processing_info?: ProcessingInfo } }
            | undefined
        )?.data ?? {}
      );
    };
    const status = (mediaId: string) =>
      call('/2/media/upload', undefined, { command: 'STATUS', media_id: mediaId });
    // An earlier attempt of this process left this very file processing at X: look at it again
    // rather than upload it anew (processing would start over).
    const key = [
      target.publicationId,
      target.account.externalAccountId,
      createHash('sha256').update(item.bytes).digest('hex'),
    ].join(' ');
    const earlier = this.processing.get(key);
    this.processing.delete(key);
    let id: string | undefined;
    let info: ProcessingInfo | undefined;
    let expiresAt = 0;
    if (earlier && earlier.expiresAt > Date.now() + 60_000) {
      const seen = await status(earlier.id);
      if (!('kind' in seen)) [id, info, expiresAt] = [earlier.id, seen.processing_info, earlier.expiresAt];
      // 400: X no longer knows it; anything else: try again later.
      else if (seen.kind !== 'refused') return seen;
    }
    if (id === undefined) {
      const uploaded = await this.uploadSegments(call, item, category);
      if ('kind' in uploaded) return uploaded;
      [id, info, expiresAt] = [uploaded.id, uploaded.info, uploaded.expiresAt];
    }
    for (let poll = 0; info && info.state !== 'succeeded'; poll++) {
      if (info.state === 'failed')
        return {
          kind: 'refused',
          httpStatus: 200,
          error: `X could not process the media ${item.media.url}: ${info.error?.message ?? info.error?.name ?? 'processing failed'}`,
        };
      if (poll >= this.options.xMediaStatusMaxPolls) {
        if (this.processing.size >= MAX_REMEMBERED_UPLOADS)
          this.processing.delete(this.processing.keys().next().value as string);
        this.processing.set(key, { id, expiresAt });
        return {
          kind: 'unavailable',
          httpStatus: 200,
          error: `X was still processing the media after ${poll} status checks; the next attempt checks again`,
        };
      }
      await sleep(Math.min((info.check_after_secs ?? 1) * 1000, this.options.xMediaStatusMaxWaitMs));
      // Processing can take a while: only the claim's holder may go on.
      if (!(await session.extendLease())) return TAKEN_OVER;
      const seen = await status(id);
      if ('kind' in seen) return seen;
      info = seen.processing_info;
    }
    return id;
  }

  /** INITIALIZE, one APPEND per segment, FINALIZE: the media id, its processing and its expiry. */
  private async uploadSegments(
    call: (
      path: string,
      body?: Record<string, unknown> | FormData,
    ) => Promise<
      CallFailure | { id?: string; expires_after_secs?: number; processing_info?: ProcessingInfo }
    >,
    item: FetchedMedia,
    category: string,
  ): Promise<CallFailure | { id: string; info?: ProcessingInfo; expiresAt: number }> {
    const init = await call('/2/media/upload/initialize', {
      media_type: item.contentType,
      total_bytes: item.bytes.length,
      media_category: category,
    });
    if ('kind' in init) return init;
    const id = init.id;
    if (!id)
      return { kind: 'unavailable', httpStatus: 200, error: 'X answered an upload without a media id' };
    const expiresAt = Date.now() + (init.expires_after_secs ?? 3_600) * 1000;
    for (let offset = 0, index = 0; offset < item.bytes.length; offset += X_SEGMENT_BYTES, index++) {
      const form = new FormData();
      form.append('segment_index', String(index));
      const segment = item.bytes.subarray(offset, offset + X_SEGMENT_BYTES);
      form.append(
        'media',
        new Blob([new Uint8Array(segment)], { type: 'application/octet-stream' }),
        'media',
      );
      const appended = await call(`/2/media/upload/${id}/append`, form);
      if ('kind' in appended) return appended;
    }
    const finalized = await call(`/2/media/upload/${id}/finalize`);
    if ('kind' in finalized) return finalized;
    return { id, info: finalized.processing_info, expiresAt };
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
