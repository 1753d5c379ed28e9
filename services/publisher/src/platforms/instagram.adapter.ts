// Instagram content publishing, in two steps: create a media container (`POST /{ig-user}/media`),
// wait until its status_code is FINISHED (bounded polling), then publish it once
// (`POST /{ig-user}/media_publish`). The container id is committed before it is polled, so a retry
// or a reconciliation always works on the same container: a publication never gets a second one
// (unless the first expired unpublished, which proves nothing was posted with it).
// One image is an IMAGE container, one video a REELS container (`video_url`); several items are
// item containers (`is_carousel_item`, VIDEO for a video) gathered by one CAROUSEL container, which
// is the one committed. Items made before a failure are never published and expire on their own.
import { bearer, graphErrorOf, graphFailure, graphPath, graphReason } from './graph';
import { isFailure, send, sleep, urlOf, type HttpReply } from './http';
import { mediaKindOf } from './media';
import {
  noEngagement,
  type AdapterOptions,
  type CallFailure,
  type CallOutcome,
  type EngagementCounts,
  type InsightsOutcome,
  type InsightsRequest,
  type LookupOutcome,
  type PlatformAdapter,
  type PublishMedia,
  type PublishSession,
  type PublishTarget,
} from './platform';
import { sameText } from './text-match';

type ContainerStatus = 'IN_PROGRESS' | 'FINISHED' | 'ERROR' | 'EXPIRED' | 'PUBLISHED';

/** The claim was lost mid-attempt: stop, the job's new holder reconciles. */
const TAKEN_OVER: CallFailure = {
  kind: 'uncertain',
  httpStatus: 0,
  error: 'Another worker took the publication over',
};
/** When the 24-hour publishing quota is used up, look again after this long. */
const QUOTA_RETRY_MS = 3_600_000;
const INSIGHT_METRICS = 'views,reach,likes,comments,shares';
const CAROUSEL_MAX = 10;

export class InstagramAdapter implements PlatformAdapter {
  readonly platform = 'INSTAGRAM' as const;

  constructor(private readonly options: AdapterOptions) {}

  private url(target: PublishTarget, id: string, edge?: string, query?: Record<string, string>) {
    return urlOf(target.account.baseUrl, graphPath(this.options.graphVersion, id, edge), query);
  }

  async publish(target: PublishTarget, session: PublishSession): Promise<CallOutcome> {
    let containerId = target.igContainerId;
    let status: ContainerStatus | CallFailure | null = containerId
      ? await this.status(target, containerId)
      : null;
    if (status !== null && typeof status === 'object') return status;
    if (status === 'PUBLISHED') {
      // An earlier attempt published it after all: report the media it made.
      const found = await this.lookup(target);
      if (found.kind === 'found') return { ...found, kind: 'published' };
      return found.kind === 'absent'
        ? {
            kind: 'uncertain',
            httpStatus: 200,
            error: 'The container is published but its media was not found yet',
          }
        : found;
    }
    if (status === 'ERROR')
      return {
        kind: 'refused',
        httpStatus: 200,
        error: 'Instagram could not process the media (container ERROR)',
      };
    if (containerId === null || status === 'EXPIRED') {
      const quota = await this.quotaLeft(target);
      if (typeof quota === 'object') return quota;
      if (quota <= 0)
        return {
          kind: 'rate-limited',
          httpStatus: 200,
          error: 'The account used its 24-hour publishing limit',
          retryAfterMs: QUOTA_RETRY_MS,
        };
      const created = await this.createContainer(target);
      if (typeof created === 'object') return created;
      containerId = created;
      if (!(await session.rememberContainer(containerId))) return TAKEN_OVER;
      status = null;
    }
    for (let poll = 0; status !== 'FINISHED'; poll++) {
      if (poll >= this.options.containerMaxPolls)
        return {
          kind: 'unavailable',
          httpStatus: 200,
          error: 'The media container is still being processed',
        };
      if (poll > 0) {
        await sleep(this.options.containerPollMs);
        if (!(await session.extendLease())) return TAKEN_OVER;
      }
      const polled = await this.status(target, containerId);
      if (typeof polled === 'object') return polled;
      status = polled;
      if (status === 'ERROR')
        return {
          kind: 'refused',
          httpStatus: 200,
          error: 'Instagram could not process the media (container ERROR)',
        };
      if (status === 'EXPIRED') {
        await session.rememberContainer(null);
        return {
          kind: 'unavailable',
          httpStatus: 200,
          error: 'The media container expired before it was published',
        };
      }
      if (status === 'PUBLISHED') return this.publish({ ...target, igContainerId: containerId }, session);
    }
    // The last moment to find out that the claim was lost: after this, only one worker publishes.
    if (!(await session.extendLease())) return TAKEN_OVER;
    const reply = await send(
      this.url(target, target.account.externalAccountId, 'media_publish'),
      { method: 'POST', headers: bearer(target.secrets), body: { creation_id: containerId } },
      this.options.timeoutMs,
    );
    if (isFailure(reply)) return reply;
    if (reply.status !== 200) return this.publishFailure(reply);
    const mediaId = (reply.body as { id?: string }).id;
    if (!mediaId)
      return { kind: 'uncertain', httpStatus: 200, error: 'Instagram answered without a media id' };
    return {
      kind: 'published',
      httpStatus: 200,
      externalId: mediaId,
      url: await this.permalink(target, mediaId),
    };
  }

  /** Reconciliation: the container tells whether it was published; the media is found by its caption. */
  async lookup(target: PublishTarget): Promise<LookupOutcome> {
    if (!target.igContainerId) return { kind: 'absent', httpStatus: 0 };
    const status = await this.status(target, target.igContainerId);
    if (typeof status === 'object') return status;
    if (status !== 'PUBLISHED') return { kind: 'absent', httpStatus: 200 };
    const reply = await send(
      this.url(target, target.account.externalAccountId, 'media', {
        fields: 'id,caption,permalink,timestamp',
        limit: '50',
      }),
      { headers: bearer(target.secrets) },
      this.options.timeoutMs,
    );
    if (isFailure(reply)) return reply;
    if (reply.status !== 200) return graphFailure(reply);
    const media =
      (reply.body as { data?: { id: string; caption?: string; permalink?: string }[] }).data ?? [];
    const match = media.find((m) => sameText(m.caption ?? '', target.text));
    if (!match)
      return {
        kind: 'uncertain',
        httpStatus: 200,
        error: 'The container is published but its media was not found yet',
      };
    return { kind: 'found', httpStatus: 200, externalId: match.id, url: match.permalink ?? null };
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
        ((reply.body as { data?: { name: string; values?: { value: number }[] }[] }).data ?? []).map((d) => [
          d.name,
          Number(d.values?.at(-1)?.value ?? 0),
        ]),
      );
      metrics.set(id, {
        ...noEngagement(),
        impressions: values.get('views') ?? 0,
        reach: values.get('reach') ?? 0,
        likes: values.get('likes') ?? 0,
        comments: values.get('comments') ?? 0,
        shares: values.get('shares') ?? 0,
      });
    }
    return { kind: 'metrics', metrics };
  }

  private async status(target: PublishTarget, containerId: string): Promise<ContainerStatus | CallFailure> {
    const reply = await send(
      this.url(target, containerId, undefined, { fields: 'status_code' }),
      { headers: bearer(target.secrets) },
      this.options.timeoutMs,
    );
    if (isFailure(reply)) return reply;
    if (reply.status !== 200) return graphFailure(reply);
    return (reply.body as { status_code: ContainerStatus }).status_code;
  }

  /** Publishes left in the rolling 24 hours (`content_publishing_limit`). */
  private async quotaLeft(target: PublishTarget): Promise<number | CallFailure> {
    const reply = await send(
      this.url(target, target.account.externalAccountId, 'content_publishing_limit', {
        fields: 'quota_usage,config',
      }),
      { headers: bearer(target.secrets) },
      this.options.timeoutMs,
    );
    if (isFailure(reply)) return reply;
    if (reply.status !== 200) return graphFailure(reply);
    const entry = (reply.body as { data?: { quota_usage?: number; config?: { quota_total?: number } }[] })
      .data?.[0];
    if (!entry?.config?.quota_total) return Number.POSITIVE_INFINITY;
    return entry.config.quota_total - (entry.quota_usage ?? 0);
  }

  /** The container to publish: one image or reel, or a carousel of item containers. */
  private async createContainer(target: PublishTarget): Promise<string | CallFailure> {
    const media = target.media;
    if (media.length === 0)
      return {
        kind: 'refused',
        httpStatus: 0,
        error: 'An Instagram post needs at least one image or video; Instagram does not publish text alone',
      };
    if (media.length > CAROUSEL_MAX)
      return {
        kind: 'refused',
        httpStatus: 0,
        error: `An Instagram carousel takes at most ${CAROUSEL_MAX} images or videos`,
      };
    if (media.length === 1) {
      // Alt text is accepted on single image posts only (not reels, not carousel items).
      const alt = mediaKindOf(media[0]) === 'image' ? media[0].altText : undefined;
      return this.container(target, {
        ...this.item(media[0], false),
        caption: target.text,
        ...(alt ? { alt_text: alt } : {}),
      });
    }
    const children: string[] = [];
    for (const item of media) {
      const child = await this.container(target, this.item(item, true));
      if (typeof child === 'object') return child;
      children.push(child);
    }
    return this.container(target, {
      media_type: 'CAROUSEL',
      children: children.join(','),
      caption: target.text,
    });
  }

  /** What a container of one image or video is made from. */
  private item(media: PublishMedia, inCarousel: boolean): Record<string, unknown> {
    const video = mediaKindOf(media) === 'video';
    // A single video is a reel; in a carousel it is a VIDEO item.
    const source = video
      ? { media_type: inCarousel ? 'VIDEO' : 'REELS', video_url: media.url }
      : { image_url: media.url };
    return inCarousel ? { ...source, is_carousel_item: true } : source;
  }

  private async container(
    target: PublishTarget,
    body: Record<string, unknown>,
  ): Promise<string | CallFailure> {
    const reply = await send(
      this.url(target, target.account.externalAccountId, 'media'),
      { method: 'POST', headers: bearer(target.secrets), body },
      this.options.timeoutMs,
    );
    // A container is not a post: one whose answer was lost is left behind, and another is made.
    if (isFailure(reply)) return reply.kind === 'uncertain' ? { ...reply, kind: 'unavailable' } : reply;
    if (reply.status !== 200) return graphFailure(reply);
    const id = (reply.body as { id?: string }).id;
    return id ?? { kind: 'unavailable', httpStatus: 200, error: 'Instagram answered without a container id' };
  }

  private publishFailure(reply: HttpReply): CallFailure {
    const e = graphErrorOf(reply);
    // "Not ready" and the publishing limit: nothing was published, try again later.
    if (e.error_subcode === 2207027 || e.code === 9007)
      return { kind: 'unavailable', httpStatus: reply.status, error: graphReason(reply) };
    if (e.error_subcode === 2207042 || e.code === 9)
      return {
        kind: 'rate-limited',
        httpStatus: reply.status,
        error: graphReason(reply),
        retryAfterMs: QUOTA_RETRY_MS,
      };
    return graphFailure(reply);
  }

  private async permalink(target: PublishTarget, mediaId: string): Promise<string | null> {
    const reply = await send(
      this.url(target, mediaId, undefined, { fields: 'permalink' }),
      { headers: bearer(target.secrets) },
      this.options.timeoutMs,
    );
    if (isFailure(reply) || reply.status !== 200) return null;
    return (reply.body as { permalink?: string }).permalink ?? null;
  }
}
