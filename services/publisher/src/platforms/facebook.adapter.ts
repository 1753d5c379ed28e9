// Facebook Pages: a text or link post goes to the page feed (`POST /{page}/feed`), a post with an
// image to `POST /{page}/photos` (Facebook fetches the image from its public URL). Reconciliation
// reads the page's recent posts; engagement comes from post insights.
import { bearer, graphFailure, graphPath } from './graph';
import { isFailure, send, urlOf } from './http';
import {
  noEngagement,
  type AdapterOptions,
  type CallOutcome,
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

export class FacebookAdapter implements PlatformAdapter {
  readonly platform = 'FACEBOOK' as const;

  constructor(private readonly options: AdapterOptions) {}

  async publish(target: PublishTarget): Promise<CallOutcome> {
    const page = target.account.externalAccountId;
    const image = target.media.find((m) => m.mimeType.toLowerCase().startsWith('image/'));
    const reply = image
      ? await send(
          urlOf(target.account.baseUrl, graphPath(this.options.graphVersion, page, 'photos')),
          { method: 'POST', headers: bearer(target.secrets), body: { url: image.url, caption: target.text } },
          this.options.timeoutMs,
        )
      : await send(
          urlOf(target.account.baseUrl, graphPath(this.options.graphVersion, page, 'feed')),
          {
            method: 'POST',
            headers: bearer(target.secrets),
            body: { message: target.text, ...(target.link ? { link: target.link } : {}) },
          },
          this.options.timeoutMs,
        );
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
