// Facebook Pages: a text or link post goes to the page feed (`POST /{page}/feed`), a post with one
// image to `POST /{page}/photos`, a post with several to the feed with each image first uploaded
// unpublished (`published=false`) and then attached (`attached_media`), a video to
// `POST /{page}/videos` (`file_url`). Facebook fetches every file from its public URL. Unpublished
// photos are not posts: ones uploaded before a failure are left behind and uploaded again.
// Reconciliation reads the page's recent posts; engagement comes from post insights.
import { bearer, graphFailure, graphPath } from './graph';
import { isFailure, send, urlOf, type HttpReply } from './http';
import { mediaKindOf } from './media';
import {
  noEngagement,
  type AdapterOptions,
  type CallFailure,
  type CallOutcome,
  type PublishMedia,
  type EngagementCounts,
  type InsightsOutcome,
  type InsightsRequest,
  type LookupOutcome,
  type PlatformAdapter,
  type PublishTarget,
} from './platform';
import { sameText } from './text-match';

const INSIGHT_METRICS = 'post_impressions,post_impressions_unique,post_reactions_by_type_total,post_clicks';

/** A page post's public address from its `<page>_<post>` id. */
function permalink(postId: string): string {
  const [page, post] = postId.split('_');
  return post ? `https://www.facebook.com/${page}/posts/${post}` : `https://www.facebook.com/${postId}`;
}

/** Facebook's own alt text for a photo (`alt_text_custom`), when the content has one. */
function altText(media: PublishMedia): Record<string, string> {
  const text = media.altText.trim();
  return text ? { alt_text_custom: text } : {};
}

/** An unpublished photo's upload posted nothing, even when its answer was lost. */
function notPosted(failure: CallFailure): CallFailure {
  return failure.kind === 'uncertain' ? { ...failure, kind: 'unavailable' } : failure;
}

export class FacebookAdapter implements PlatformAdapter {
  readonly platform = 'FACEBOOK' as const;

  constructor(private readonly options: AdapterOptions) {}

  private edge(target: PublishTarget, edge: string): string {
    return urlOf(
      target.account.baseUrl,
      graphPath(this.options.graphVersion, target.account.externalAccountId, edge),
    );
  }

  async publish(target: PublishTarget): Promise<CallOutcome> {
    const images = target.media.filter((m) => mediaKindOf(m) !== 'video');
    const videos = target.media.filter((m) => mediaKindOf(m) === 'video');
    if (videos.length > 0 && (images.length > 0 || videos.length > 1))
      return {
        kind: 'refused',
        httpStatus: 0,
        error: 'A Facebook post carries photos or one video, not both (nor several videos)',
      };
    if (videos.length === 1) return this.publishVideo(target, videos[0]);
    if (images.length > 1) return this.publishAlbum(target, images);
    const reply =
      images.length === 1
        ? await send(
            this.edge(target, 'photos'),
            {
              method: 'POST',
              headers: bearer(target.secrets),
              body: { url: images[0].url, caption: target.text, ...altText(images[0]) },
            },
            this.options.timeoutMs,
          )
        : await send(
            this.edge(target, 'feed'),
            {
              method: 'POST',
              headers: bearer(target.secrets),
              body: { message: target.text, ...(target.link ? { link: target.link } : {}) },
            },
            this.options.timeoutMs,
          );
    return this.posted(reply);
  }

  /** Several photos in one post: each uploaded unpublished, then attached to one feed post. */
  private async publishAlbum(target: PublishTarget, images: PublishMedia[]): Promise<CallOutcome> {
    const photoIds: string[] = [];
    for (const image of images) {
      const reply = await send(
        this.edge(target, 'photos'),
        {
          method: 'POST',
          headers: bearer(target.secrets),
          body: { url: image.url, published: false, ...altText(image) },
        },
        this.options.timeoutMs,
      );
      // An unpublished photo is not a post: whatever happened to it, nothing was posted.
      if (isFailure(reply)) return notPosted(reply);
      if (reply.status !== 200) return notPosted(graphFailure(reply));
      const id = (reply.body as { id?: string }).id;
      if (!id)
        return {
          kind: 'unavailable',
          httpStatus: 200,
          error: 'Facebook answered a photo upload without an id',
        };
      photoIds.push(id);
    }
    const form = new URLSearchParams({ message: target.text });
    photoIds.forEach((id, i) => form.set(`attached_media[${i}]`, JSON.stringify({ media_fbid: id })));
    const reply = await send(
      this.edge(target, 'feed'),
      { method: 'POST', headers: bearer(target.secrets), body: form },
      this.options.timeoutMs,
    );
    return this.posted(reply);
  }

  /** A video post: Facebook fetches the file (`file_url`); the post is `<page>_<video>`. */
  private async publishVideo(target: PublishTarget, video: PublishMedia): Promise<CallOutcome> {
    const reply = await send(
      this.edge(target, 'videos'),
      {
        method: 'POST',
        headers: bearer(target.secrets),
        body: { file_url: video.url, description: target.text },
      },
      this.options.timeoutMs,
    );
    if (isFailure(reply)) return reply;
    if (reply.status !== 200) return graphFailure(reply);
    const id = (reply.body as { id?: string }).id;
    if (!id) return { kind: 'uncertain', httpStatus: 200, error: 'Facebook answered without a video id' };
    const page = target.account.externalAccountId;
    return {
      kind: 'published',
      httpStatus: 200,
      externalId: `${page}_${id}`,
      url: `https://www.facebook.com/${page}/videos/${id}`,
    };
  }

  /** The outcome of a call that makes a post (feed or published photo). */
  private posted(reply: HttpReply | CallFailure): CallOutcome {
    if (isFailure(reply)) return reply;
    if (reply.status !== 200) return graphFailure(reply);
    const body = reply.body as { id?: string; post_id?: string };
    const postId = body.post_id ?? body.id;
    if (!postId) return { kind: 'uncertain', httpStatus: 200, error: 'Facebook answered without a post id' };
    return { kind: 'published', httpStatus: 200, externalId: postId, url: permalink(postId) };
  }

  async lookup(target: PublishTarget): Promise<LookupOutcome> {
    const reply = await send(
      urlOf(
        target.account.baseUrl,
        graphPath(this.options.graphVersion, target.account.externalAccountId, 'posts'),
        { fields: 'id,message,created_time,permalink_url', limit: '100' },
      ),
      { headers: bearer(target.secrets) },
      this.options.timeoutMs,
    );
    if (isFailure(reply)) return reply;
    if (reply.status !== 200) return graphFailure(reply);
    const posts =
      (reply.body as { data?: { id: string; message?: string; permalink_url?: string }[] }).data ?? [];
    const match = posts.find((p) => sameText(p.message, target.text));
    if (!match) return { kind: 'absent', httpStatus: 200 };
    return {
      kind: 'found',
      httpStatus: 200,
      externalId: match.id,
      url: match.permalink_url ?? permalink(match.id),
    };
  }

  async insights(req: InsightsRequest): Promise<InsightsOutcome> {
    const metrics = new Map<string, EngagementCounts>();
    for (const id of req.externalIds) {
      const reply = await send(
        urlOf(req.account.baseUrl, graphPath(this.options.graphVersion, id, 'insights'), {
          metric: INSIGHT_METRICS,
        }),
        { headers: bearer(req.secrets) },
        this.options.timeoutMs,
      );
      if (isFailure(reply)) return reply;
      if (reply.status !== 200) return graphFailure(reply);
      const values = new Map(
        ((reply.body as { data?: { name: string; values?: { value: unknown }[] }[] }).data ?? []).map((d) => [
          d.name,
          d.values?.at(-1)?.value,
        ]),
      );
      const number = (name: string) => {
        const v = values.get(name);
        return typeof v === 'number' ? v : 0;
      };
      const reactions = values.get('post_reactions_by_type_total');
      const likes =
        reactions && typeof reactions === 'object'
          ? Object.values(reactions as Record<string, number>).reduce((a, b) => a + (Number(b) || 0), 0)
          : 0;
      metrics.set(id, {
        ...noEngagement(),
        impressions: number('post_impressions'),
        reach: number('post_impressions_unique'),
        likes,
        clicks: number('post_clicks'),
      });
    }
    return { kind: 'metrics', metrics };
  }
}
