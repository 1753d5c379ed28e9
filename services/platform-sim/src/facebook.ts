// Facebook Pages through the Graph API: text/link posts (POST /{page-id}/feed), photo posts
// (POST /{page-id}/photos), unpublished photos attached to one feed post (`published=false`, then
// `attached_media`), video posts (POST /{page-id}/videos with `file_url`), reading a post and the
// page's recent posts (reconciliation), and post insights that grow with age.
import type { PlatformRoute, Sim } from './context';
import { engagementAt } from './engagement';
import { json, type Reply, type SimRequest } from './http';
import { mediaDetails, readMediaUrl, sha256 } from './media';
import { graphAuthenticate, graphError, invalidParameter, unsupported } from './meta';
import type { FacebookPage, GraphNode, PagePhoto, PagePost } from './state';

const PHOTO_MAX_BYTES = 10 * 1024 * 1024;
const VIDEO_MAX_BYTES = 256 * 1024 * 1024;

/** Graph's timestamp format: `2025-01-06T10:00:00+0000`. */
export function graphTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

const POST_FIELDS = [
  'id',
  'message',
  'created_time',
  'permalink_url',
  'link',
  'full_picture',
  'from',
  'is_published',
];
const DEFAULT_POST_FIELDS = ['id', 'message', 'created_time'];

/** Post insights metrics the simulator serves, with how each reads the engagement curve. */
const INSIGHTS: Record<string, { title: string; value: (e: ReturnType<typeof engagementAt>) => unknown }> = {
  post_impressions: { title: 'Post impressions', value: (e) => e.impressions },
  post_impressions_unique: { title: 'Post reach', value: (e) => e.reach },
  post_impressions_organic: { title: 'Organic post impressions', value: (e) => e.impressions },
  post_impressions_paid: { title: 'Paid post impressions', value: () => 0 },
  post_reactions_by_type_total: { title: 'Post reactions by type', value: (e) => e.reactions },
  post_clicks: { title: 'Post clicks', value: (e) => e.clicks },
};

function isHttpUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** Requested `fields` (Graph always adds a node's `id`), refusing one the node does not have. */
export function requestedFields(
  req: SimRequest,
  known: readonly string[],
  defaults: readonly string[],
  nodeType: string,
): string[] | Reply {
  const fields = (req.params.fields ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const unknown = fields.find((f) => !known.includes(f));
  if (unknown)
    return invalidParameter(
      `(#100) Tried accessing nonexisting field (${unknown}) on node type (${nodeType})`,
    );
  if (fields.length === 0) return [...defaults];
  return known.includes('id') && !fields.includes('id') ? ['id', ...fields] : fields;
}

/** A cursor page over items sorted newest first: `limit`, `after`, `since`, `until` as Graph reads them. */
export function graphPage<T extends { id: string; createdAt: number }>(
  req: SimRequest,
  items: T[],
  view: (item: T) => Record<string, unknown>,
): Reply {
  const limit = Math.min(100, Math.max(1, Number(req.params.limit ?? 25) || 25));
  const toMs = (v: string | undefined) =>
    v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  const since = toMs(req.params.since);
  const until = toMs(req.params.until);
  let sorted = items
    .filter((i) => since === undefined || i.createdAt >= since)
    .filter((i) => until === undefined || i.createdAt <= until)
    .sort((a, b) => b.createdAt - a.createdAt || (b.id > a.id ? 1 : -1));
  if (req.params.after) {
    const after = Buffer.from(req.params.after, 'base64url').toString();
    const index = sorted.findIndex((i) => i.id === after);
    sorted = index >= 0 ? sorted.slice(index + 1) : [];
  }
  const page = sorted.slice(0, limit);
  const cursor = (item: T) => Buffer.from(item.id).toString('base64url');
  return json(200, {
    data: page.map(view),
    ...(page.length > 0
      ? { paging: { cursors: { before: cursor(page[0]), after: cursor(page[page.length - 1]) } } }
      : {}),
  });
}

/** Routes a Graph request on a page or a page post. */
export function facebookRoute(
  sim: Sim,
  req: SimRequest,
  node: Extract<GraphNode, { kind: 'page' | 'pagePost' }>,
  edge: string | undefined,
): PlatformRoute | Reply {
  const { state, clock } = sim;
  const pageId = node.kind === 'page' ? node.page.id : node.post.pageId;
  const route = (operation: string, execute: PlatformRoute['execute']): PlatformRoute => ({
    platform: 'facebook',
    operation,
    authenticate: (r) => graphAuthenticate(sim, r, 'facebook', pageId),
    execute,
    rateLimitOf: () => state.pages.get(pageId)?.rateLimit ?? null,
  });

  function postView(post: PagePost, fields: string[]): Record<string, unknown> {
    const [page, postPart] = post.id.split('_');
    const all: Record<string, unknown> = {
      id: post.id,
      message: post.message || undefined,
      created_time: graphTime(post.createdAt),
      permalink_url: `https://www.facebook.com/${page}/posts/${postPart}`,
      link:
        post.link ??
        (post.photoId
          ? `https://www.facebook.com/photo.php?fbid=${post.photoId}`
          : post.videoId
            ? `https://www.facebook.com/${page}/videos/${post.videoId}`
            : undefined),
      full_picture:
        post.imageUrl ??
        (post.attachedPhotoIds?.length
          ? (state.pagePhotos.get(post.attachedPhotoIds[0])?.media.url as string | undefined)
          : undefined),
      from: { name: state.pages.get(post.pageId)?.name, id: post.pageId },
      is_published: true,
    };
    return Object.fromEntries(fields.filter((f) => all[f] !== undefined).map((f) => [f, all[f]]));
  }

  function commit(
    page: FacebookPage,
    post: PagePost,
    kind: 'page_post' | 'page_photo' | 'page_video',
    media: Record<string, unknown> = {},
  ): void {
    state.pagePosts.set(post.id, post);
    state.record({
      platform: 'facebook',
      account: page.id,
      kind,
      id: post.id,
      text: post.message,
      createdAt: new Date(post.createdAt).toISOString(),
      details: {
        ...(post.link ? { link: post.link } : {}),
        ...(post.photoId ? { photoId: post.photoId, imageUrl: post.imageUrl } : {}),
        ...media,
      },
    });
  }

  /** Facebook refuses a status identical to the page's previous one (#506). */
  function duplicateOfLast(page: FacebookPage, message: string): boolean {
    if (!message) return false;
    const latest = [...state.pagePosts.values()]
      .filter((p) => p.pageId === page.id)
      .sort((a, b) => b.createdAt - a.createdAt)[0];
    return latest?.message === message;
  }

  /** `attached_media[0]={"media_fbid":…}` (or one `attached_media` JSON array): the page's unpublished photos. */
  function attachedPhotos(page: FacebookPage, r: SimRequest): PagePhoto[] | Reply {
    const entries: [number, string, string][] = Object.entries(r.params)
      .map(([key, value]) => [/^attached_media\[(\d+)\]$/.exec(key), key, value] as const)
      .filter((e): e is [RegExpExecArray, string, string] => e[0] !== null)
      .map(([m, key, value]) => [Number(m[1]), key, value]);
    entries.sort((a, b) => a[0] - b[0]);
    let items: { key: string; value: unknown }[] = entries.map(([, key, value]) => {
      try {
        return { key, value: JSON.parse(value) as unknown };
      } catch {
        return { key, value };
      }
    });
    if (r.params.attached_media !== undefined) {
      try {
        const list = JSON.parse(r.params.attached_media) as unknown;
        if (!Array.isArray(list)) throw new TypeError('not a list');
        items = list.map((value, i) => ({ key: `attached_media[${i}]`, value }));
      } catch {
        return invalidParameter('(#100) param attached_media must be an array of {"media_fbid": …}');
      }
    }
    const photos: PagePhoto[] = [];
    for (const { key, value } of items) {
      const fbid =
        value !== null && typeof value === 'object'
          ? (value as { media_fbid?: unknown }).media_fbid
          : undefined;
      const photo =
        typeof fbid === 'string' || typeof fbid === 'number' ? state.pagePhotos.get(String(fbid)) : undefined;
      if (!photo || photo.pageId !== page.id)
        return invalidParameter(`(#100) param ${key} has an invalid media_fbid`);
      if (photo.published || photo.postId)
        return invalidParameter(`(#100) The photo ${photo.id} is published already and cannot be attached`);
      if (photos.includes(photo)) return invalidParameter(`(#100) The photo ${photo.id} is attached twice`);
      photos.push(photo);
    }
    return photos;
  }

  function createFeedPost(page: FacebookPage, r: SimRequest): Reply {
    const message = r.params.message ?? '';
    const link = r.params.link;
    const photos = attachedPhotos(page, r);
    if (!Array.isArray(photos)) return photos;
    if (!message && !link && photos.length === 0)
      return invalidParameter('(#100) Missing message or attachment');
    if (link !== undefined && !isHttpUrl(link))
      return invalidParameter('(#100) The link parameter must be a URL');
    if (duplicateOfLast(page, message))
      return graphError(400, { message: '(#506) Duplicate status message', code: 506 });
    const post: PagePost = {
      id: `${page.id}_${state.nextGraphId()}`,
      pageId: page.id,
      message,
      link,
      ...(photos.length > 0 ? { attachedPhotoIds: photos.map((p) => p.id) } : {}),
      createdAt: clock.now(),
    };
    for (const photo of photos) photo.postId = post.id;
    commit(
      page,
      post,
      'page_post',
      photos.length > 0
        ? {
            attachedMedia: photos.map((p) => ({
              photoId: p.id,
              ...p.media,
              ...(p.altText !== undefined ? { altText: p.altText } : {}),
            })),
          }
        : {},
    );
    return json(200, { id: post.id });
  }

  /** The media of a photo or video: an uploaded file, or its URL read as Facebook would (media.ts). */
  async function readUpload(
    r: SimRequest,
    urlParam: string,
    kind: 'photo' | 'video',
  ): Promise<{ media: Record<string, unknown>; url?: string } | { reply: Reply }> {
    const file = r.files.get('source');
    const url = r.params[urlParam];
    const code = kind === 'photo' ? 324 : 6000;
    const fail = (message: string) => ({
      reply: graphError(400, { message: `(#${code}) ${message}`, code }),
    });
    if (!url && !file)
      return fail(
        kind === 'photo' ? 'Requires upload file' : 'There was a problem uploading your video file',
      );
    if (file) return { media: { contentType: file.type, size: file.size, sha256: sha256(file.bytes) } };
    if (!isHttpUrl(url as string))
      return { reply: invalidParameter(`(#100) ${urlParam} should represent a valid URL`) };
    const read = await readMediaUrl(url as string, kind === 'photo' ? PHOTO_MAX_BYTES : VIDEO_MAX_BYTES);
    if (read.kind === 'failed')
      return fail(
        kind === 'photo'
          ? `Missing or invalid image file (${read.detail})`
          : `There was a problem uploading your video file (${read.detail})`,
      );
    const family = kind === 'photo' ? 'image/' : 'video/';
    if (read.kind === 'fetched' && !read.contentType.startsWith(family))
      return fail(
        kind === 'photo'
          ? `Missing or invalid image file (it is ${read.contentType})`
          : `There was a problem uploading your video file (it is ${read.contentType})`,
      );
    return { media: mediaDetails(read), url };
  }

  async function createPhoto(page: FacebookPage, r: SimRequest): Promise<Reply> {
    const read = await readUpload(r, 'url', 'photo');
    if ('reply' in read) return read.reply;
    const url = read.url;
    const message = r.params.caption ?? r.params.message ?? '';
    const altText = r.params.alt_text_custom;
    const photoId = state.nextGraphId();
    const published = r.params.published !== 'false';
    state.pagePhotos.set(photoId, {
      id: photoId,
      pageId: page.id,
      published,
      caption: message,
      altText,
      media: read.media,
      createdAt: clock.now(),
    });
    // An unpublished photo is not a post: it waits to be attached to one (`attached_media`).
    if (!published) return json(200, { id: photoId });
    const post: PagePost = {
      id: `${page.id}_${state.nextGraphId()}`,
      pageId: page.id,
      message,
      photoId,
      imageUrl: url,
      createdAt: clock.now(),
    };
    commit(page, post, 'page_photo', {
      media: read.media,
      ...(altText !== undefined ? { altText } : {}),
    });
    state.pagePhotos.get(photoId)!.postId = post.id;
    return json(200, { id: photoId, post_id: post.id });
  }

  /** `POST /{page-id}/videos` (`file_url` or a `source` file, `description`): a video post. */
  async function createVideo(page: FacebookPage, r: SimRequest): Promise<Reply> {
    const read = await readUpload(r, 'file_url', 'video');
    if ('reply' in read) return read.reply;
    const videoId = state.nextGraphId();
    const post: PagePost = {
      // A page's video post is addressed as <page>_<video>.
      id: `${page.id}_${videoId}`,
      pageId: page.id,
      message: r.params.description ?? '',
      videoId,
      createdAt: clock.now(),
    };
    commit(page, post, 'page_video', {
      videoId,
      media: read.media,
      ...(r.params.title !== undefined ? { title: r.params.title } : {}),
    });
    return json(200, { id: videoId });
  }

  function insights(post: PagePost, r: SimRequest): Reply {
    const metrics = (r.params.metric ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
    const unknown = metrics.find((m) => !(m in INSIGHTS));
    if (metrics.length === 0 || unknown)
      return invalidParameter(
        `(#100) The value must be a valid insights metric${unknown ? `: ${unknown}` : ''}`,
      );
    const e = engagementAt(post.id, (clock.now() - post.createdAt) / 1000);
    return json(200, {
      data: metrics.map((name) => ({
        name,
        period: 'lifetime',
        values: [{ value: INSIGHTS[name].value(e) }],
        title: INSIGHTS[name].title,
        description: `Lifetime: ${INSIGHTS[name].title.toLowerCase()} (simulated).`,
        id: `${post.id}/insights/${name}/lifetime`,
      })),
    });
  }

  if (node.kind === 'page') {
    const page = node.page;
    if (req.method === 'GET' && edge === undefined)
      return route('facebook.page.get', ({ req: r }) => {
        const fields = requestedFields(r, ['id', 'name'], ['id', 'name'], 'Page');
        if (!Array.isArray(fields)) return fields;
        const all: Record<string, unknown> = { id: page.id, name: page.name };
        return json(200, Object.fromEntries(fields.map((f) => [f, all[f]])));
      });
    if (req.method === 'POST' && edge === 'feed')
      return route('facebook.feed.create', ({ req: r }) => createFeedPost(page, r));
    if (req.method === 'POST' && edge === 'photos')
      return route('facebook.photos.create', ({ req: r }) => createPhoto(page, r));
    if (req.method === 'POST' && edge === 'videos')
      return route('facebook.videos.create', ({ req: r }) => createVideo(page, r));
    if (req.method === 'GET' && (edge === 'posts' || edge === 'feed' || edge === 'published_posts'))
      return route('facebook.posts.list', ({ req: r }) => {
        const fields = requestedFields(r, POST_FIELDS, DEFAULT_POST_FIELDS, 'PagePost');
        if (!Array.isArray(fields)) return fields;
        const posts = [...state.pagePosts.values()].filter((p) => p.pageId === page.id);
        return graphPage(r, posts, (p) => postView(p, fields));
      });
    return unsupported(req, page.id);
  }

  const post = node.post;
  if (req.method === 'GET' && edge === undefined)
    return route('facebook.post.get', ({ req: r }) => {
      const fields = requestedFields(r, POST_FIELDS, DEFAULT_POST_FIELDS, 'PagePost');
      return Array.isArray(fields) ? json(200, postView(post, fields)) : fields;
    });
  if (req.method === 'GET' && edge === 'insights')
    return route('facebook.insights.get', ({ req: r }) => insights(post, r));
  return unsupported(req, post.id);
}
