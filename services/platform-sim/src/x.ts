// X API v2: the slice the publisher calls. Posts (POST /2/tweets); media: the simple upload (images
// only, as on X), the chunked one (initialize, append, finalize, then STATUS while a GIF or video is
// processed) and alt text; the account's recent posts and single-post lookups with metrics
// (reconciliation and analytics), and the OAuth 2.0 refresh-token grant. Errors are X's problem
// documents ({title, detail, type, status}).
import { parseTweet } from 'twitter-text';
import type { AuthOutcome, PlatformErrors, PlatformRoute, RateLimitRefusal, Sim } from './context';
import { bearerToken, json, type Reply, type SimRequest } from './http';
import { engagementAt } from './engagement';
import { sha256 } from './media';
import type { RateLimitUsage } from './rate-limits';
import { randomToken, type Tweet, type XAccount, type XMedia } from './state';

export const X_MAX_WEIGHTED_LENGTH = 280;
const MEDIA_TTL_SECONDS = 86_400;
const MEDIA_LIMITS: Record<string, number> = {
  tweet_image: 5 * 1024 * 1024,
  tweet_gif: 15 * 1024 * 1024,
  tweet_video: 512 * 1024 * 1024,
};
/** What a category accepts: X answers 400 for a file of another kind. */
const CATEGORY_TYPES: Record<string, (type: string) => boolean> = {
  tweet_image: (t) => t.startsWith('image/') && t !== 'image/gif',
  tweet_gif: (t) => t === 'image/gif',
  tweet_video: (t) => t.startsWith('video/'),
};
/** The simple upload takes images only; GIFs and videos go through the chunked upload. */
const SIMPLE_CATEGORIES = new Set(['tweet_image']);
/** A chunk (APPEND's `media`) is at most 5 MB; segment indexes are 0 to 999. */
const MAX_SEGMENT_BYTES = 5 * 1024 * 1024;
const MAX_SEGMENT_INDEX = 999;
const MAX_ALT_TEXT = 1_000;

/** Where a medium is: uploading (chunked, before FINALIZE), processing, or done. */
type ProcessingState = 'uploading' | 'pending' | 'in_progress' | 'succeeded' | 'failed';
const GRANTED_SCOPES = 'tweet.read tweet.write users.read media.write offline.access';
const INVALID_REQUEST_TYPE = 'https://api.twitter.com/2/problems/invalid-request';
const NOT_FOUND_TYPE = 'https://api.twitter.com/2/problems/resource-not-found';

function problem(status: number, title: string, detail: string, headers?: Record<string, string>): Reply {
  return json(status, { title, detail, type: 'about:blank', status }, headers);
}

function invalidRequest(errors: { message: string; parameters?: Record<string, unknown[]> }[]): Reply {
  return json(400, {
    errors: errors.map((e) => ({ parameters: e.parameters ?? {}, message: e.message })),
    title: 'Invalid Request',
    detail: 'One or more parameters to your request was invalid.',
    type: INVALID_REQUEST_TYPE,
  });
}

function notFound(resourceType: 'tweet' | 'user', id: string, parameter: string) {
  return {
    value: id,
    detail: `Could not find ${resourceType} with ${parameter}: [${id}].`,
    title: 'Not Found Error',
    resource_type: resourceType,
    parameter,
    resource_id: id,
    type: NOT_FOUND_TYPE,
  };
}

const UNAUTHORIZED = () => problem(401, 'Unauthorized', 'Unauthorized');
const seconds = (ms: number) => Math.ceil(ms / 1000);

function usageHeaders(usage: RateLimitUsage): Record<string, string> {
  return {
    'x-rate-limit-limit': String(usage.limit),
    'x-rate-limit-remaining': String(usage.remaining),
    'x-rate-limit-reset': String(seconds(usage.resetAt)),
  };
}

export const xErrors: PlatformErrors = {
  serverError: (status) =>
    problem(
      status,
      status === 503 ? 'Service Unavailable' : 'Internal Server Error',
      status === 503 ? 'Service Unavailable' : 'Internal Server Error',
    ),
  rateLimited: (refusal: RateLimitRefusal) =>
    problem(429, 'Too Many Requests', 'Too Many Requests', {
      'retry-after': String(refusal.retryAfterSeconds),
      'x-rate-limit-limit': String(refusal.usage?.limit ?? 0),
      'x-rate-limit-remaining': '0',
      'x-rate-limit-reset': String(seconds(refusal.resetAt)),
    }),
  blocked: () => problem(403, 'Forbidden', 'You are not permitted to perform this action.'),
  badBody: (message, status) =>
    status === 413 ? problem(413, 'Payload Too Large', message) : invalidRequest([{ message }]),
  usageHeaders,
};

/** X's media key: the kind (3 photo, 16 animated GIF, 7 video), then the id. */
const mediaKeyOf = (id: string, media: Pick<XMedia, 'category'> | undefined) =>
  `${media?.category === 'tweet_gif' ? 16 : media?.category === 'tweet_video' ? 7 : 3}_${id}`;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const byNewest = (a: Tweet, b: Tweet) =>
  BigInt(b.id) > BigInt(a.id) ? 1 : BigInt(b.id) < BigInt(a.id) ? -1 : 0;

/** The X API slice: resolves a request under `/2/` to its route, or answers it (unknown path). */
export function xApi(sim: Sim): { route(req: SimRequest): PlatformRoute | Reply; errors: PlatformErrors } {
  const { state, clock } = sim;

  function authenticate(req: SimRequest): AuthOutcome {
    const token = bearerToken(req.headers);
    const record = token === undefined ? undefined : state.tokens.get(token);
    const grant = record?.grants.find((g) => g.platform === 'x');
    if (!record || !grant || record.revoked) return { reply: UNAUTHORIZED() };
    if (record.expiresAt !== null && clock.now() >= record.expiresAt) return { reply: UNAUTHORIZED() };
    return { account: grant.account };
  }

  const rateLimitOf = (account: string) => state.xAccounts.get(account)?.rateLimit ?? null;

  function tweetView(tweet: Tweet, fields: Set<string>): Record<string, unknown> {
    const view: Record<string, unknown> = {
      id: tweet.id,
      text: tweet.text,
      edit_history_tweet_ids: [tweet.id],
    };
    if (fields.has('created_at')) view.created_at = new Date(tweet.createdAt).toISOString();
    if (fields.has('author_id')) view.author_id = tweet.authorId;
    if (fields.has('attachments') && tweet.mediaIds.length > 0)
      view.attachments = { media_keys: tweet.mediaIds.map((id) => mediaKeyOf(id, state.xMedia.get(id))) };
    if (fields.has('conversation_id')) view.conversation_id = tweet.inReplyTo ?? tweet.id;
    const needsMetrics = ['public_metrics', 'non_public_metrics', 'organic_metrics'].some((f) =>
      fields.has(f),
    );
    if (needsMetrics) {
      const e = engagementAt(tweet.id, (clock.now() - tweet.createdAt) / 1000);
      if (fields.has('public_metrics'))
        view.public_metrics = {
          retweet_count: e.shares,
          reply_count: e.comments,
          like_count: e.likes,
          quote_count: e.quotes,
          bookmark_count: e.bookmarks,
          impression_count: e.impressions,
        };
      if (fields.has('non_public_metrics'))
        view.non_public_metrics = {
          impression_count: e.impressions,
          url_link_clicks: e.linkClicks,
          user_profile_clicks: e.profileClicks,
        };
      if (fields.has('organic_metrics'))
        view.organic_metrics = {
          impression_count: e.impressions,
          like_count: e.likes,
          reply_count: e.comments,
          retweet_count: e.shares,
          url_link_clicks: e.linkClicks,
          user_profile_clicks: e.profileClicks,
        };
    }
    return view;
  }

  const tweetFields = (req: SimRequest) =>
    new Set(
      (req.query.get('tweet.fields') ?? '')
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean),
    );

  function createTweet(req: SimRequest, account: string): Reply {
    const body = req.json;
    if (!isObject(body)) return invalidRequest([{ message: 'The request body must be a JSON object.' }]);
    const { text, media, reply } = body;
    if (text !== undefined && typeof text !== 'string')
      return invalidRequest([{ parameters: { text: [text] }, message: '`text` must be a string.' }]);
    let mediaIds: string[] = [];
    if (media !== undefined) {
      const ids = isObject(media) ? media.media_ids : undefined;
      if (!Array.isArray(ids) || ids.length < 1 || ids.length > 4 || !ids.every((i) => typeof i === 'string'))
        return invalidRequest([
          { parameters: { 'media.media_ids': [ids] }, message: '`media.media_ids` must hold 1 to 4 ids.' },
        ]);
      mediaIds = ids as string[];
      const now = clock.now();
      const bad = mediaIds.filter((id) => {
        const m = state.xMedia.get(id);
        return !m || m.owner !== account || m.expiresAt <= now || processingOf(m) !== 'succeeded';
      });
      if (bad.length > 0)
        return invalidRequest([
          { parameters: { 'media.media_ids': bad }, message: 'Your media IDs are invalid.' },
        ]);
      // Up to 4 images, or one GIF, or one video: never mixed.
      const categories = new Set(mediaIds.map((id) => state.xMedia.get(id)?.category));
      if (categories.size > 1 || (!categories.has('tweet_image') && mediaIds.length > 1))
        return invalidRequest([
          {
            parameters: { 'media.media_ids': mediaIds },
            message: 'A post takes up to 4 images, or 1 GIF, or 1 video, not mixed.',
          },
        ]);
    }
    let inReplyTo: string | undefined;
    if (reply !== undefined) {
      const target = isObject(reply) ? reply.in_reply_to_tweet_id : undefined;
      if (typeof target !== 'string' || !state.tweets.has(target))
        return invalidRequest([
          {
            parameters: { 'reply.in_reply_to_tweet_id': [target] },
            message: 'The post you are replying to does not exist or is not visible to you.',
          },
        ]);
      inReplyTo = target;
    }
    const content = text ?? '';
    if (content === '' && mediaIds.length === 0)
      return invalidRequest([{ parameters: { text: [''] }, message: 'A post needs text or media.' }]);
    const weighted = parseTweet(content).weightedLength;
    if (weighted > X_MAX_WEIGHTED_LENGTH)
      return invalidRequest([
        {
          parameters: { text: [content] },
          message: `The text's weighted length is ${weighted}; at most ${X_MAX_WEIGHTED_LENGTH} is allowed.`,
        },
      ]);
    if (
      content !== '' &&
      [...state.tweets.values()].some((t) => t.authorId === account && t.sentText === content)
    )
      return problem(403, 'Forbidden', 'You are not allowed to create a Tweet with duplicate content.');
    const now = clock.now();
    const id = state.nextXId(now);
    // As on X, a post with media shows a t.co link to them at the end of its text.
    const mediaLink = `https://t.co/${Buffer.from(id).toString('base64url').slice(-10)}`;
    const tweet: Tweet = {
      id,
      authorId: account,
      text: mediaIds.length > 0 ? [content, mediaLink].filter(Boolean).join(' ') : content,
      sentText: content,
      createdAt: now,
      mediaIds,
      inReplyTo,
    };
    state.tweets.set(tweet.id, tweet);
    state.record({
      platform: 'x',
      account,
      kind: 'tweet',
      id: tweet.id,
      text: tweet.text,
      createdAt: new Date(now).toISOString(),
      details: {
        mediaIds,
        ...(mediaIds.length > 0
          ? {
              media: mediaIds.map((id) => {
                const m = state.xMedia.get(id)!;
                return {
                  id,
                  mediaKey: mediaKeyOf(id, m),
                  category: m.category,
                  contentType: m.type,
                  size: m.size,
                  sha256: m.sha256,
                  ...(m.altText !== undefined ? { altText: m.altText } : {}),
                };
              }),
            }
          : {}),
        ...(inReplyTo ? { inReplyTo } : {}),
      },
    });
    return json(201, { data: { id: tweet.id, text: tweet.text, edit_history_tweet_ids: [tweet.id] } });
  }

  function lookupTweets(req: SimRequest, ids: string[]): Reply {
    const fields = tweetFields(req);
    const found = ids.map((id) => state.tweets.get(id)).filter((t): t is Tweet => t !== undefined);
    const missing = ids.filter((id) => !state.tweets.has(id)).map((id) => notFound('tweet', id, 'ids'));
    return json(200, {
      ...(found.length > 0 ? { data: found.map((t) => tweetView(t, fields)) } : {}),
      ...(missing.length > 0 ? { errors: missing } : {}),
    });
  }

  function getTweet(req: SimRequest, id: string): Reply {
    const tweet = state.tweets.get(id);
    if (!tweet) return json(200, { errors: [notFound('tweet', id, 'id')] });
    return json(200, { data: tweetView(tweet, tweetFields(req)) });
  }

  function userTweets(req: SimRequest, userId: string): Reply {
    if (!state.xAccounts.has(userId)) return json(200, { errors: [notFound('user', userId, 'id')] });
    const max = Number(req.query.get('max_results') ?? 10);
    if (!Number.isInteger(max) || max < 5 || max > 100)
      return invalidRequest([
        {
          parameters: { max_results: [req.query.get('max_results')] },
          message: '`max_results` must be 5 to 100.',
        },
      ]);
    const sinceId = req.query.get('since_id');
    const untilId = req.query.get('until_id');
    const startTime = req.query.get('start_time');
    const endTime = req.query.get('end_time');
    const after = req.query.get('pagination_token');
    let tweets = [...state.tweets.values()]
      .filter((t) => t.authorId === userId)
      .filter((t) => !sinceId || BigInt(t.id) > BigInt(sinceId))
      .filter((t) => !untilId || BigInt(t.id) < BigInt(untilId))
      .filter((t) => !startTime || t.createdAt >= Date.parse(startTime))
      .filter((t) => !endTime || t.createdAt <= Date.parse(endTime))
      .sort(byNewest);
    if (after)
      tweets = tweets.filter((t) => BigInt(t.id) < BigInt(Buffer.from(after, 'base64url').toString()));
    const page = tweets.slice(0, max);
    const fields = tweetFields(req);
    if (page.length === 0) return json(200, { meta: { result_count: 0 } });
    const meta: Record<string, unknown> = {
      result_count: page.length,
      newest_id: page[0].id,
      oldest_id: page[page.length - 1].id,
    };
    if (tweets.length > page.length)
      meta.next_token = Buffer.from(page[page.length - 1].id).toString('base64url');
    return json(200, { data: page.map((t) => tweetView(t, fields)), meta });
  }

  function uploadMedia(req: SimRequest, account: string): Reply {
    const category = req.params.media_category ?? 'tweet_image';
    if (!(category in MEDIA_LIMITS))
      return invalidRequest([
        { parameters: { media_category: [category] }, message: 'Unsupported media_category.' },
      ]);
    // As on X: the simple upload is for images; a GIF or a video is uploaded in chunks.
    if (!SIMPLE_CATEGORIES.has(category))
      return invalidRequest([
        {
          parameters: { media_category: [category] },
          message: `${category} media must be uploaded in chunks (POST /2/media/upload/initialize, append, finalize).`,
        },
      ]);
    const file = req.files.get('media');
    const encoded = req.params.media ?? req.params.media_data;
    const bytes = file?.bytes ?? (encoded ? Buffer.from(encoded, 'base64') : Buffer.alloc(0));
    const size = bytes.length;
    const type = (req.params.media_type || file?.type || 'image/jpeg').toLowerCase();
    if (size === 0)
      return invalidRequest([{ parameters: { media: [] }, message: 'The media is missing or empty.' }]);
    if (size > MEDIA_LIMITS[category])
      return invalidRequest([
        {
          parameters: { media: [size] },
          message: `The media is larger than ${MEDIA_LIMITS[category]} bytes.`,
        },
      ]);
    if (type !== 'application/octet-stream' && !CATEGORY_TYPES[category](type))
      return invalidRequest([
        {
          parameters: { media_type: [type], media_category: [category] },
          message: `A ${type} file cannot be uploaded as ${category}.`,
        },
      ]);
    const now = clock.now();
    const id = state.nextXId(now);
    state.xMedia.set(id, {
      id,
      owner: account,
      size,
      type,
      category,
      sha256: sha256(bytes),
      expiresAt: now + MEDIA_TTL_SECONDS * 1000,
    });
    return json(200, { data: { id, media_key: `3_${id}`, size, expires_after_secs: MEDIA_TTL_SECONDS } });
  }

  /** Where a medium's processing is: simple uploads are done at once, chunked ones after FINALIZE. */
  function processingOf(media: XMedia): ProcessingState {
    const upload = media.chunked;
    if (!upload) return 'succeeded';
    if (upload.finalizedAt === undefined) return 'uploading';
    if (media.category === 'tweet_image') return 'succeeded';
    const user = state.xAccounts.get(media.owner);
    const [polls, seconds] = [user?.videoReadyAfterPolls ?? 0, user?.videoReadyAfterSeconds ?? 0];
    const age = clock.now() - upload.finalizedAt;
    if (upload.polls < polls && age < seconds * 1000) return upload.polls === 0 ? 'pending' : 'in_progress';
    return upload.fails ? 'failed' : 'succeeded';
  }

  /** `processing_info` as X shows it: none for an image; the wait it suggests while processing. */
  function processingInfo(media: XMedia): Record<string, unknown> | undefined {
    const upload = media.chunked;
    if (!upload || upload.finalizedAt === undefined || media.category === 'tweet_image') return undefined;
    const stateNow = processingOf(media);
    if (stateNow === 'succeeded') return { state: 'succeeded', progress_percent: 100 };
    if (stateNow === 'failed')
      return {
        state: 'failed',
        progress_percent: 100,
        error: { code: 1, name: 'InvalidMedia', message: 'Unsupported video format' },
      };
    const user = state.xAccounts.get(media.owner);
    const left = (user?.videoReadyAfterSeconds ?? 0) * 1000 - (clock.now() - upload.finalizedAt);
    const polls = user?.videoReadyAfterPolls ?? 1;
    return {
      state: stateNow,
      check_after_secs: Math.max(1, Math.min(5, Math.ceil(left / 1000))),
      progress_percent: Math.min(99, Math.floor((100 * upload.polls) / Math.max(1, polls))),
    };
  }

  /** The caller's chunked upload named by `id`, or the 400 X answers for it. */
  function ownUpload(id: string | undefined, account: string): XMedia | Reply {
    const media = id === undefined ? undefined : state.xMedia.get(id);
    if (!media || media.owner !== account || media.expiresAt <= clock.now() || !media.chunked)
      return invalidRequest([{ parameters: { media_id: [id] }, message: 'Your media IDs are invalid.' }]);
    return media;
  }

  const mediaView = (media: XMedia, extra: Record<string, unknown> = {}) => ({
    data: {
      id: media.id,
      media_key: mediaKeyOf(media.id, media),
      expires_after_secs: Math.max(0, Math.floor((media.expiresAt - clock.now()) / 1000)),
      ...extra,
    },
  });

  /** `POST /2/media/upload/initialize` (or the command form, INIT): opens a chunked upload. */
  function initializeUpload(req: SimRequest, account: string): Reply {
    const category = req.params.media_category ?? '';
    const type = (req.params.media_type ?? '').toLowerCase();
    const total = Number(req.params.total_bytes);
    if (!(category in MEDIA_LIMITS))
      return invalidRequest([
        { parameters: { media_category: [category] }, message: 'Unsupported media_category.' },
      ]);
    if (!CATEGORY_TYPES[category](type))
      return invalidRequest([
        {
          parameters: { media_type: [type], media_category: [category] },
          message: `A ${type || 'missing'} media_type cannot be uploaded as ${category}.`,
        },
      ]);
    if (!Number.isInteger(total) || total < 1 || total > MEDIA_LIMITS[category])
      return invalidRequest([
        {
          parameters: { total_bytes: [req.params.total_bytes] },
          message: `total_bytes must be 1 to ${MEDIA_LIMITS[category]} for ${category}.`,
        },
      ]);
    const now = clock.now();
    const id = state.nextXId(now);
    const media: XMedia = {
      id,
      owner: account,
      size: 0,
      type,
      category,
      sha256: '',
      expiresAt: now + MEDIA_TTL_SECONDS * 1000,
      chunked: { totalBytes: total, segments: new Map(), polls: 0, fails: false },
    };
    state.xMedia.set(id, media);
    return json(200, mediaView(media));
  }

  /** `POST /2/media/upload/{id}/append` (or APPEND): one segment, multipart `media` and `segment_index`. */
  function appendUpload(req: SimRequest, account: string, id: string | undefined): Reply {
    const media = ownUpload(id, account);
    if (!('id' in media)) return media;
    const upload = media.chunked!;
    if (upload.finalizedAt !== undefined)
      return invalidRequest([
        { parameters: { media_id: [id] }, message: 'The upload was already finalized.' },
      ]);
    const index = Number(req.params.segment_index);
    if (!Number.isInteger(index) || index < 0 || index > MAX_SEGMENT_INDEX)
      return invalidRequest([
        {
          parameters: { segment_index: [req.params.segment_index] },
          message: `segment_index must be 0 to ${MAX_SEGMENT_INDEX}.`,
        },
      ]);
    const file = req.files.get('media');
    const encoded = req.params.media_data ?? req.params.media;
    const bytes = file?.bytes ?? (encoded ? Buffer.from(encoded, 'base64') : Buffer.alloc(0));
    if (bytes.length === 0 || bytes.length > MAX_SEGMENT_BYTES)
      return invalidRequest([
        {
          parameters: { media: [bytes.length] },
          message: `A segment holds 1 to ${MAX_SEGMENT_BYTES} bytes.`,
        },
      ]);
    // Appending a segment again replaces it (a retried APPEND).
    upload.segments.set(index, bytes);
    const received = [...upload.segments.values()].reduce((n, b) => n + b.length, 0);
    if (received > upload.totalBytes) {
      upload.segments.delete(index);
      return invalidRequest([
        { parameters: { media: [received] }, message: 'The segments are larger than total_bytes.' },
      ]);
    }
    return json(200, { data: { expires_at: Math.floor(media.expiresAt / 1000) } });
  }

  /** `POST /2/media/upload/{id}/finalize` (or FINALIZE): the segments must add up; GIFs and videos then process. */
  function finalizeUpload(account: string, id: string | undefined, fails: boolean): Reply {
    const media = ownUpload(id, account);
    if (!('id' in media)) return media;
    const upload = media.chunked!;
    if (upload.finalizedAt === undefined) {
      const indexes = [...upload.segments.keys()].sort((a, b) => a - b);
      const bytes = Buffer.concat(indexes.map((i) => upload.segments.get(i)!));
      if (indexes.some((n, i) => n !== i) || bytes.length !== upload.totalBytes)
        return invalidRequest([
          {
            parameters: { media_id: [id] },
            message: 'Segments do not add up to provided total file size.',
          },
        ]);
      upload.finalizedAt = clock.now();
      upload.fails = fails;
      upload.segments.clear();
      media.size = bytes.length;
      media.sha256 = sha256(bytes);
    }
    const info = processingInfo(media);
    // Processing has just begun: X says how long to wait before the first STATUS.
    const shown = info && info.state === 'pending' ? { ...info, progress_percent: 0 } : info;
    return json(200, mediaView(media, { size: media.size, ...(shown ? { processing_info: shown } : {}) }));
  }

  /** `GET /2/media/upload?command=STATUS&media_id=`: where processing is; each poll moves it on. */
  function uploadStatus(req: SimRequest, account: string): Reply {
    if ((req.query.get('command') ?? 'STATUS') !== 'STATUS')
      return invalidRequest([
        { parameters: { command: [req.query.get('command')] }, message: 'command must be STATUS.' },
      ]);
    const media = ownUpload(req.query.get('media_id') ?? undefined, account);
    if (!('id' in media)) return media;
    const upload = media.chunked!;
    if (upload.finalizedAt === undefined)
      return invalidRequest([
        { parameters: { media_id: [media.id] }, message: 'The upload has not been finalized.' },
      ]);
    const info = processingInfo(media);
    upload.polls++;
    return json(200, mediaView(media, { size: media.size, ...(info ? { processing_info: info } : {}) }));
  }

  /** `POST /2/media/metadata`: `{id, metadata: {alt_text: {text}}}` sets a media's alt text. */
  function mediaMetadata(req: SimRequest, account: string): Reply {
    const body = req.json;
    const id = isObject(body) ? body.id : undefined;
    const metadata = isObject(body) && isObject(body.metadata) ? body.metadata : undefined;
    if (typeof id !== 'string' || !metadata)
      return invalidRequest([{ parameters: { id: [id] }, message: '`id` and `metadata` are required.' }]);
    const media = state.xMedia.get(id);
    if (!media || media.owner !== account || media.expiresAt <= clock.now())
      return invalidRequest([{ parameters: { id: [id] }, message: 'Your media IDs are invalid.' }]);
    const alt = metadata.alt_text;
    if (alt !== undefined) {
      const text = isObject(alt) ? alt.text : undefined;
      if (typeof text !== 'string' || text.length > MAX_ALT_TEXT)
        return invalidRequest([
          {
            parameters: { 'metadata.alt_text.text': [text] },
            message: `\`alt_text.text\` must be a string of at most ${MAX_ALT_TEXT} characters.`,
          },
        ]);
      media.altText = text;
    }
    return json(200, {
      data: {
        id,
        associated_metadata: media.altText !== undefined ? { alt_text: { text: media.altText } } : {},
      },
    });
  }

  /** OAuth 2.0 refresh: the old refresh token is consumed, a new pair is issued. */
  function refreshTokens(req: SimRequest): Reply {
    const oauthError = (status: number, error: string, description: string) =>
      json(status, { error, error_description: description });
    if (req.params.grant_type !== 'refresh_token')
      return oauthError(400, 'invalid_request', 'Only grant_type=refresh_token is supported here.');
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const [basicId, basicSecret] = basic ? Buffer.from(basic[1], 'base64').toString().split(':') : [];
    const clientId = basicId ?? req.params.client_id;
    const refresh = state.xRefreshTokens.get(req.params.refresh_token ?? '');
    if (!clientId) return oauthError(401, 'unauthorized_client', 'Missing valid authorization header');
    if (!refresh || refresh.used || refresh.revoked || refresh.clientId !== clientId)
      return oauthError(400, 'invalid_request', 'Value passed for the token was invalid.');
    const account = state.xAccounts.get(refresh.account) as XAccount;
    if (account.clientSecret !== undefined && basic && basicSecret !== account.clientSecret)
      return oauthError(401, 'unauthorized_client', 'Missing valid authorization header');
    refresh.used = true;
    const accessToken = randomToken('x-at-');
    const refreshToken = randomToken('x-rt-');
    state.grantToken(accessToken, 'x', account.id, clock.now() + account.accessTokenTtlSeconds * 1000);
    state.xRefreshTokens.set(refreshToken, {
      token: refreshToken,
      account: account.id,
      clientId,
      used: false,
      revoked: false,
    });
    return json(200, {
      token_type: 'bearer',
      expires_in: account.accessTokenTtlSeconds,
      access_token: accessToken,
      scope: GRANTED_SCOPES,
      refresh_token: refreshToken,
    });
  }

  function route(req: SimRequest): PlatformRoute | Reply {
    const { method, path } = req;
    const authed = (operation: string, execute: PlatformRoute['execute']): PlatformRoute => ({
      platform: 'x',
      operation,
      authenticate,
      execute,
      rateLimitOf,
    });
    if (method === 'POST' && path === '/2/tweets')
      return authed('x.tweets.create', ({ req: r, account }) => createTweet(r, account));
    if (method === 'GET' && path === '/2/tweets')
      return authed('x.tweets.lookup', ({ req: r }) => {
        const ids = (r.query.get('ids') ?? '').split(',').filter(Boolean);
        if (ids.length === 0 || ids.length > 100)
          return invalidRequest([
            { parameters: { ids: [r.query.get('ids')] }, message: '`ids` must list 1 to 100 ids.' },
          ]);
        return lookupTweets(r, ids);
      });
    const tweet = /^\/2\/tweets\/(\d+)$/.exec(path);
    if (method === 'GET' && tweet) return authed('x.tweets.get', ({ req: r }) => getTweet(r, tweet[1]));
    if (method === 'GET' && path === '/2/users/me')
      return authed('x.users.me', ({ account }) => {
        const user = state.xAccounts.get(account) as XAccount;
        return json(200, { data: { id: user.id, name: user.name, username: user.username } });
      });
    const timeline = /^\/2\/users\/(\d+)\/tweets$/.exec(path);
    if (method === 'GET' && timeline)
      return authed('x.users.tweets', ({ req: r }) => userTweets(r, timeline[1]));
    if (method === 'POST' && path === '/2/media/upload') {
      // The older command form of the chunked upload shares this path.
      const command = req.params.command;
      if (command === 'INIT')
        return authed('x.media.initialize', ({ req: r, account }) => initializeUpload(r, account));
      if (command === 'APPEND')
        return authed('x.media.append', ({ req: r, account }) => appendUpload(r, account, r.params.media_id));
      if (command === 'FINALIZE')
        return authed('x.media.finalize', ({ req: r, account, faults }) =>
          finalizeUpload(account, r.params.media_id, faults.has('containerError')),
        );
      return authed('x.media.upload', ({ req: r, account }) => uploadMedia(r, account));
    }
    if (method === 'GET' && path === '/2/media/upload')
      return authed('x.media.status', ({ req: r, account }) => uploadStatus(r, account));
    if (method === 'POST' && path === '/2/media/upload/initialize')
      return authed('x.media.initialize', ({ req: r, account }) => initializeUpload(r, account));
    const chunk = /^\/2\/media\/upload\/(\d+)\/(append|finalize)$/.exec(path);
    if (method === 'POST' && chunk?.[2] === 'append')
      return authed('x.media.append', ({ req: r, account }) => appendUpload(r, account, chunk[1]));
    if (method === 'POST' && chunk?.[2] === 'finalize')
      return authed('x.media.finalize', ({ account, faults }) =>
        finalizeUpload(account, chunk[1], faults.has('containerError')),
      );
    if (method === 'POST' && path === '/2/media/metadata')
      return authed('x.media.metadata', ({ req: r, account }) => mediaMetadata(r, account));
    if (method === 'POST' && path === '/2/oauth2/token')
      return {
        platform: 'x',
        operation: 'x.oauth2.token',
        // The token endpoint authenticates the client itself; faults still see the token's user.
        authenticate: (r) => ({
          account: state.xRefreshTokens.get(r.params.refresh_token ?? '')?.account ?? '',
        }),
        execute: ({ req: r }) => refreshTokens(r),
      };
    return json(404, { errors: [{ message: 'Sorry, that page does not exist', code: 34 }] });
  }

  return { route, errors: xErrors };
}
