// Instagram content publishing through the Graph API: create a media container, poll its
// status_code until FINISHED, publish it once, within the account's rolling 24-hour publishing
// quota; plus the account's recent media (reconciliation) and media insights that grow with age.
import { extractHashtags } from 'twitter-text';
import type { PlatformRoute, Sim } from './context';
import { engagementAt } from './engagement';
import { graphPage, requestedFields } from './facebook';
import { json, type Reply, type SimRequest } from './http';
import { mediaDetails, readMediaUrl } from './media';
import { graphAuthenticate, graphError, invalidParameter, unsupported } from './meta';
import type { GraphNode, IgContainer, IgMedia, InstagramUser } from './state';

export const INSTAGRAM_MAX_CAPTION = 2_200;
export const INSTAGRAM_MAX_HASHTAGS = 30;
const CAROUSEL_MIN = 2;
const CAROUSEL_MAX = 10;
const CONTAINER_TTL_MS = 24 * 3600 * 1000;
const QUOTA_DURATION_SECONDS = 86_400;
const IMAGE_MAX_BYTES = 8 * 1024 * 1024;
const VIDEO_MAX_BYTES = 300 * 1024 * 1024;
const VIDEO_TYPES = new Set(['video/mp4', 'video/quicktime']);

const MEDIA_FIELDS = [
  'id',
  'caption',
  'media_type',
  'media_url',
  'permalink',
  'timestamp',
  'username',
  'like_count',
  'comments_count',
  'media_product_type',
];
const DEFAULT_MEDIA_FIELDS = ['id'];
const CONTAINER_FIELDS = ['id', 'status_code', 'status'];

const INSIGHTS: Record<string, { title: string; value: (e: ReturnType<typeof engagementAt>) => number }> = {
  impressions: { title: 'Impressions', value: (e) => e.impressions },
  views: { title: 'Views', value: (e) => e.impressions },
  reach: { title: 'Accounts reached', value: (e) => e.reach },
  likes: { title: 'Likes', value: (e) => e.likes },
  comments: { title: 'Comments', value: (e) => e.comments },
  shares: { title: 'Shares', value: (e) => e.shares },
  saved: { title: 'Saves', value: (e) => e.saves },
  total_interactions: { title: 'Interactions', value: (e) => e.likes + e.comments + e.shares + e.saves },
};

/**
 * The media's MIME type as the simulator judges a URL it does not fetch: a `mime` query parameter
 * wins (`https://cdn.example/a?mime=image/png`), then the path's extension; a URL with neither is
 * taken for `fallback` (a JPEG, or an MP4 for a video). Null for a URL Instagram could not fetch.
 */
export function imageTypeOf(url: string, fallback = 'image/jpeg'): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (!/^https?:$/.test(parsed.protocol)) return null;
  const hint = parsed.searchParams.get('mime');
  if (hint) return hint.toLowerCase();
  const ext = /\.([a-z0-9]+)$/i.exec(parsed.pathname)?.[1]?.toLowerCase();
  if (!ext) return fallback;
  const known: Record<string, string> = {
    mp4: 'video/mp4',
    mov: 'video/quicktime',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    png: 'image/png',
    gif: 'image/gif',
    webp: 'image/webp',
    heic: 'image/heic',
  };
  return known[ext] ?? `application/${ext}`;
}

type ContainerStatus = 'IN_PROGRESS' | 'FINISHED' | 'ERROR' | 'EXPIRED' | 'PUBLISHED';

/** Routes a Graph request on an Instagram user, container or media. */
export function instagramRoute(
  sim: Sim,
  req: SimRequest,
  node: Extract<GraphNode, { kind: 'igUser' | 'igContainer' | 'igMedia' }>,
  edge: string | undefined,
): PlatformRoute | Reply {
  const { state, clock } = sim;
  const owner =
    node.kind === 'igUser'
      ? node.user.id
      : node.kind === 'igContainer'
        ? node.container.owner
        : node.media.owner;
  const user = state.igUsers.get(owner) as InstagramUser;
  const route = (operation: string, execute: PlatformRoute['execute']): PlatformRoute => ({
    platform: 'instagram',
    operation,
    authenticate: (r) => graphAuthenticate(sim, r, 'instagram', owner),
    execute,
    rateLimitOf: () => user.rateLimit,
  });

  function statusOf(container: IgContainer): ContainerStatus {
    if (container.publishedMediaId) return 'PUBLISHED';
    if (container.failed) return 'ERROR';
    const age = clock.now() - container.createdAt;
    if (age >= CONTAINER_TTL_MS) return 'EXPIRED';
    // The first status polls see IN_PROGRESS, or processing takes its simulated time (longer for a video).
    const video = container.mediaType === 'REELS' || container.mediaType === 'VIDEO';
    const [polls, seconds] = video
      ? [user.videoReadyAfterPolls, user.videoReadyAfterSeconds]
      : [user.readyAfterPolls, user.readyAfterSeconds];
    if (container.polls < polls && age < seconds * 1000) return 'IN_PROGRESS';
    // A carousel is as far along as its least processed item.
    const children = container.children.map((id) => statusOf(state.igContainers.get(id) as IgContainer));
    if (children.includes('ERROR')) return 'ERROR';
    return children.includes('IN_PROGRESS') ? 'IN_PROGRESS' : 'FINISHED';
  }

  /** Reads a container's media URL as Instagram would: fetched when it can be (media.ts), judged by type and size. */
  async function readMedia(
    url: string,
    kind: 'image' | 'video',
  ): Promise<{ media: Record<string, unknown> } | { reply: Reply }> {
    const read = await readMediaUrl(url, kind === 'image' ? IMAGE_MAX_BYTES : VIDEO_MAX_BYTES);
    const refuse = (reply: Reply) => ({ reply });
    if (read.kind === 'failed' && read.reason === 'too-large')
      return refuse(
        graphError(400, {
          message: 'The media is too large to download.',
          code: 36001,
          error_subcode: kind === 'image' ? 2207004 : 2207026,
          error_user_title: 'Media too large',
          error_user_msg: `The ${kind} at this URI is ${read.detail}.`,
        }),
      );
    if (read.kind === 'failed')
      return refuse(
        graphError(400, {
          message: 'Media download has failed. The media URI does not meet our requirements.',
          code: 9004,
          error_subcode: 2207052,
          error_user_title: 'Media download failed',
          error_user_msg: `The ${kind} could not be fetched from this URI (${read.detail}).`,
        }),
      );
    const type =
      read.kind === 'fetched'
        ? read.contentType
        : imageTypeOf(url, kind === 'image' ? 'image/jpeg' : 'video/mp4');
    if (kind === 'image' && type !== 'image/jpeg')
      return refuse(
        graphError(400, {
          message: 'The image format is not supported.',
          code: 36001,
          error_subcode: 2207005,
          error_user_title: 'Unsupported image format',
          error_user_msg: `The image is ${type}; only JPEG images can be published.`,
        }),
      );
    if (kind === 'video' && !VIDEO_TYPES.has(type ?? ''))
      return refuse(
        graphError(400, {
          message: 'The video format is not supported.',
          code: 352,
          error_subcode: 2207026,
          error_user_title: 'Unsupported video format',
          error_user_msg: `The video is ${type}; upload an MP4 or MOV file.`,
        }),
      );
    return { media: mediaDetails(read) };
  }

  /** Publishes within the rolling 24 hours (simulated), oldest first. */
  function recentPublishes(): number[] {
    const since = clock.now() - QUOTA_DURATION_SECONDS * 1000;
    const kept = (state.igPublishes.get(owner) ?? []).filter((t) => t > since);
    state.igPublishes.set(owner, kept);
    return kept;
  }

  function captionProblem(caption: string): Reply | null {
    if (caption.length > INSTAGRAM_MAX_CAPTION)
      return graphError(400, {
        message: '(#100) Invalid parameter',
        code: 100,
        error_user_title: 'Caption too long',
        error_user_msg: `The caption is ${caption.length} characters long; at most ${INSTAGRAM_MAX_CAPTION} are allowed.`,
      });
    const hashtags = extractHashtags(caption).length;
    if (hashtags > INSTAGRAM_MAX_HASHTAGS)
      return graphError(400, {
        message: '(#100) Invalid parameter',
        code: 100,
        error_user_title: 'Too many hashtags',
        error_user_msg: `The caption has ${hashtags} hashtags; at most ${INSTAGRAM_MAX_HASHTAGS} are allowed.`,
      });
    return null;
  }

  async function createContainer(r: SimRequest, failed: boolean): Promise<Reply> {
    const mediaType = (r.params.media_type ?? 'IMAGE').toUpperCase();
    const caption = r.params.caption ?? '';
    const isCarouselItem = r.params.is_carousel_item === 'true';
    // Alt text (since March 2025) is for single image posts only.
    const altText = r.params.alt_text;
    if (altText !== undefined && (mediaType !== 'IMAGE' || isCarouselItem))
      return invalidParameter('(#100) The parameter alt_text is only supported for single image posts');

    const base = { owner, caption, polls: 0, failed, isCarouselItem, children: [] as string[] };
    let container: Omit<IgContainer, 'id' | 'createdAt'>;
    if (mediaType === 'CAROUSEL') {
      const raw = r.params.children ?? '';
      let children: string[];
      try {
        children = raw.startsWith('[')
          ? (JSON.parse(raw) as unknown[]).map(String)
          : raw.split(',').filter(Boolean);
      } catch {
        return invalidParameter('(#100) The parameter children must be a list of container ids');
      }
      if (children.length < CAROUSEL_MIN || children.length > CAROUSEL_MAX)
        return invalidParameter(`(#100) A carousel needs ${CAROUSEL_MIN} to ${CAROUSEL_MAX} children`);
      const bad = children.find((id) => {
        const child = state.igContainers.get(id);
        return !child || child.owner !== owner || !child.isCarouselItem || statusOf(child) === 'ERROR';
      });
      if (bad)
        return invalidParameter(`(#100) The carousel child ${bad} is not a usable carousel item`, 2207006);
      const problem = captionProblem(caption);
      if (problem) return problem;
      container = { ...base, mediaType: 'CAROUSEL', isCarouselItem: false, children };
    } else if (mediaType === 'IMAGE') {
      const imageUrl = r.params.image_url;
      if (!imageUrl) return invalidParameter('(#100) The parameter image_url is required.');
      const problem = isCarouselItem ? null : captionProblem(caption);
      if (problem) return problem;
      const read = await readMedia(imageUrl, 'image');
      if ('reply' in read) return read.reply;
      container = {
        ...base,
        mediaType: 'IMAGE',
        imageUrl,
        media: { ...read.media, ...(altText !== undefined ? { altText } : {}) },
      };
    } else if (mediaType === 'REELS' || mediaType === 'VIDEO') {
      // A single video is a reel; VIDEO survives only as a carousel item.
      if (mediaType === 'VIDEO' && !isCarouselItem)
        return invalidParameter(
          '(#100) The VIDEO media type is only for carousel items; publish a single video with media_type=REELS',
        );
      if (mediaType === 'REELS' && isCarouselItem)
        return invalidParameter('(#100) A carousel item video has media_type=VIDEO, not REELS');
      const videoUrl = r.params.video_url;
      if (!videoUrl) return invalidParameter('(#100) The parameter video_url is required.');
      const problem = isCarouselItem ? null : captionProblem(caption);
      if (problem) return problem;
      const read = await readMedia(videoUrl, 'video');
      if ('reply' in read) return read.reply;
      container = { ...base, mediaType, videoUrl, media: read.media };
    } else {
      return invalidParameter(
        `(#100) The simulator supports IMAGE, REELS, VIDEO (carousel items) and CAROUSEL containers, not ${mediaType}`,
      );
    }
    // Created after the media was read: its processing starts now.
    const created: IgContainer = { id: state.nextGraphId(), createdAt: clock.now(), ...container };
    state.igContainers.set(created.id, created);
    return json(200, { id: created.id });
  }

  function publish(r: SimRequest): Reply {
    const creationId = r.params.creation_id;
    const container = creationId ? state.igContainers.get(creationId) : undefined;
    if (!container || container.owner !== owner)
      return graphError(400, {
        message: 'The requested resource does not exist',
        code: 24,
        error_subcode: 2207006,
        error_user_title: 'Media not found',
        error_user_msg: `No media container ${creationId ?? '(none)'} belongs to this account.`,
      });
    if (container.isCarouselItem)
      return invalidParameter('(#100) A carousel item cannot be published on its own');
    const status = statusOf(container);
    if (status === 'PUBLISHED')
      return graphError(400, {
        message: '(#100) Invalid parameter',
        code: 100,
        error_user_title: 'Already published',
        error_user_msg: `The media container ${container.id} has already been published.`,
      });
    if (status === 'EXPIRED')
      return graphError(400, {
        message: 'The media you are trying to access has expired.',
        code: -2,
        error_subcode: 2207020,
        error_user_title: 'Media expired',
        error_user_msg: 'Create a new container and publish that one.',
      });
    if (status === 'ERROR')
      return graphError(400, {
        message: 'Create media fail, please try to re-create media',
        code: -1,
        error_subcode: 2207032,
        is_transient: false,
      });
    if (status === 'IN_PROGRESS')
      return graphError(400, {
        message: 'Media ID is not available',
        code: 9007,
        error_subcode: 2207027,
        error_user_title: 'Media not ready',
        error_user_msg: 'The media is not ready for publishing; wait until its status_code is FINISHED.',
      });
    const recent = recentPublishes();
    if (recent.length >= user.quotaTotal)
      return graphError(400, {
        message: 'Application request limit reached',
        code: 9,
        error_subcode: 2207042,
        error_user_title: 'Publishing limit reached',
        error_user_msg: `The account has published ${recent.length} posts in 24 hours, its limit.`,
      });
    const now = clock.now();
    const media: IgMedia = {
      id: state.nextGraphId(),
      owner,
      caption: container.caption,
      mediaType:
        container.mediaType === 'CAROUSEL'
          ? 'CAROUSEL_ALBUM'
          : container.mediaType === 'IMAGE'
            ? 'IMAGE'
            : 'VIDEO',
      mediaProductType: container.mediaType === 'REELS' ? 'REELS' : 'FEED',
      containerId: container.id,
      createdAt: now,
      permalink: '',
    };
    media.permalink = `https://www.instagram.com/p/${Buffer.from(media.id).toString('base64url').slice(0, 11)}/`;
    container.publishedMediaId = media.id;
    state.igMedia.set(media.id, media);
    recent.push(now);
    state.record({
      platform: 'instagram',
      account: owner,
      kind: 'ig_media',
      id: media.id,
      text: media.caption,
      createdAt: new Date(now).toISOString(),
      details: {
        containerId: container.id,
        mediaType: media.mediaType,
        mediaProductType: media.mediaProductType,
        ...(container.imageUrl ? { imageUrl: container.imageUrl } : {}),
        ...(container.videoUrl ? { videoUrl: container.videoUrl } : {}),
        ...(container.media ? { media: container.media } : {}),
        ...(container.children.length > 0
          ? {
              children: container.children.map((id) => {
                const child = state.igContainers.get(id) as IgContainer;
                return { containerId: id, mediaType: child.mediaType, ...child.media };
              }),
            }
          : {}),
      },
    });
    return json(200, { id: media.id });
  }

  function mediaView(media: IgMedia, fields: string[]): Record<string, unknown> {
    const e = engagementAt(media.id, (clock.now() - media.createdAt) / 1000);
    const container = state.igContainers.get(media.containerId);
    const all: Record<string, unknown> = {
      id: media.id,
      caption: media.caption || undefined,
      media_type: media.mediaType,
      media_product_type: media.mediaProductType,
      media_url: container?.imageUrl ?? container?.videoUrl,
      permalink: media.permalink,
      timestamp: new Date(media.createdAt).toISOString().replace(/\.\d{3}Z$/, '+0000'),
      username: user.username,
      like_count: e.likes,
      comments_count: e.comments,
    };
    return Object.fromEntries(fields.filter((f) => all[f] !== undefined).map((f) => [f, all[f]]));
  }

  function insights(media: IgMedia, r: SimRequest): Reply {
    const metrics = (r.params.metric ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
    const unknown = metrics.find((m) => !(m in INSIGHTS));
    if (metrics.length === 0 || unknown)
      return invalidParameter(
        `(#100) metric[${unknown ? metrics.indexOf(unknown) : 0}] must be one of the following values: ${Object.keys(INSIGHTS).join(', ')}`,
      );
    const e = engagementAt(media.id, (clock.now() - media.createdAt) / 1000);
    return json(200, {
      data: metrics.map((name) => ({
        name,
        period: 'lifetime',
        values: [{ value: INSIGHTS[name].value(e) }],
        title: INSIGHTS[name].title,
        description: `${INSIGHTS[name].title} of this media (simulated).`,
        id: `${media.id}/insights/${name}/lifetime`,
      })),
    });
  }

  if (node.kind === 'igUser') {
    if (req.method === 'GET' && edge === undefined)
      return route('instagram.user.get', ({ req: r }) => {
        const fields = requestedFields(r, ['id', 'username'], ['id'], 'IGUser');
        if (!Array.isArray(fields)) return fields;
        const all: Record<string, unknown> = { id: user.id, username: user.username };
        return json(200, Object.fromEntries(fields.map((f) => [f, all[f]])));
      });
    if (req.method === 'POST' && edge === 'media')
      return route('instagram.media.create', ({ req: r, faults }) =>
        createContainer(r, faults.has('containerError')),
      );
    if (req.method === 'POST' && edge === 'media_publish')
      return route('instagram.media.publish', ({ req: r }) => publish(r));
    if (req.method === 'GET' && edge === 'content_publishing_limit')
      return route('instagram.limit.get', ({ req: r }) => {
        const fields = requestedFields(
          r,
          ['quota_usage', 'config'],
          ['quota_usage'],
          'ContentPublishingLimit',
        );
        if (!Array.isArray(fields)) return fields;
        const entry: Record<string, unknown> = {};
        if (fields.includes('quota_usage')) entry.quota_usage = recentPublishes().length;
        if (fields.includes('config'))
          entry.config = { quota_total: user.quotaTotal, quota_duration: QUOTA_DURATION_SECONDS };
        return json(200, { data: [entry] });
      });
    if (req.method === 'GET' && edge === 'media')
      return route('instagram.media.list', ({ req: r }) => {
        const fields = requestedFields(r, MEDIA_FIELDS, DEFAULT_MEDIA_FIELDS, 'IGMedia');
        if (!Array.isArray(fields)) return fields;
        const media = [...state.igMedia.values()].filter((m) => m.owner === owner);
        return graphPage(r, media, (m) => mediaView(m, fields));
      });
    return unsupported(req, user.id);
  }

  if (node.kind === 'igContainer') {
    const container = node.container;
    if (req.method === 'GET' && edge === undefined)
      return route('instagram.container.get', ({ req: r }) => {
        const fields = requestedFields(r, CONTAINER_FIELDS, ['id'], 'ShadowIGMediaBuilder');
        if (!Array.isArray(fields)) return fields;
        const status = statusOf(container);
        container.polls++;
        // Processing a carousel processes its items: polling it counts for them too.
        for (const id of container.children) {
          const child = state.igContainers.get(id);
          if (child) child.polls++;
        }
        const words: Record<ContainerStatus, string> = {
          IN_PROGRESS: 'In Progress: Media is still being processed.',
          FINISHED: 'Finished: Media has been uploaded and it is ready to be published.',
          ERROR: 'Error: 2207001: Instagram server error.',
          EXPIRED: 'Expired: The container was not published within 24 hours.',
          PUBLISHED: 'Published: Media has been published.',
        };
        const all: Record<string, unknown> = { id: container.id, status_code: status, status: words[status] };
        return json(200, Object.fromEntries(fields.map((f) => [f, all[f]])));
      });
    return unsupported(req, container.id);
  }

  const media = node.media;
  if (req.method === 'GET' && edge === undefined)
    return route('instagram.media.get', ({ req: r }) => {
      const fields = requestedFields(r, MEDIA_FIELDS, DEFAULT_MEDIA_FIELDS, 'IGMedia');
      return Array.isArray(fields) ? json(200, mediaView(media, fields)) : fields;
    });
  if (req.method === 'GET' && edge === 'insights')
    return route('instagram.insights.get', ({ req: r }) => insights(media, r));
  return unsupported(req, media.id);
}
