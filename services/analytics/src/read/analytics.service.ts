import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  BadInputError,
  canAccessDepartment,
  ForbiddenError,
  isStateWide,
  NotFoundError,
  type Principal,
} from '@prasar/auth';
import { asCaller } from '@prasar/persistence';
import { PRICE_LIST, type PriceList } from '../pricing';
import { isCalendarDate, kolkataDaysIn } from '../time';

export interface EngagementTotals {
  impressions: number;
  reach: number;
  likes: number;
  shares: number;
  comments: number;
  clicks: number;
  videoViews: number;
  engagementRate: number;
}

export interface Scorecard {
  departmentId: string;
  department: { __typename: 'Department'; id: string };
  from: Date;
  to: Date;
  published: number;
  publishedByKind: { kind: string; count: number }[];
  publishedByPlatform: { platform: string; count: number }[];
  achievementDaysMet: number;
  achievementDaysTotal: number;
  approvalTurnaroundMedianMinutes: number | null;
  approvalTurnaroundP90Minutes: number | null;
  slaBreaches: number;
  engagement: EngagementTotals;
  cost: number;
  costCurrency: string;
}

export interface StateOverview {
  date: string;
  departments: {
    department: { __typename: 'Department'; id: string };
    date: string;
    achievementPublished: boolean;
  }[];
  missingAchievement: { __typename: 'Department'; id: string }[];
}

const KINDS = [
  'ACHIEVEMENT',
  'SUCCESS_STORY',
  'ORDER',
  'MINISTER_MESSAGE',
  'SCHEME',
  'EVENT',
  'ADVERTISEMENT',
];
const PLATFORMS = ['X', 'FACEBOOK', 'INSTAGRAM', 'WHATSAPP'];
const isUuid = (v: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
const dept = (id: string) => ({ __typename: 'Department' as const, id });

interface TotalsRow {
  impressions: string | null;
  reach: string | null;
  likes: string | null;
  shares: string | null;
  comments: string | null;
  clicks: string | null;
  video_views: string | null;
  n: number;
}

const TOTALS_SQL = `sum(e.impressions) AS impressions, sum(e.reach) AS reach, sum(e.likes) AS likes,
  sum(e.shares) AS shares, sum(e.comments) AS comments, sum(e.clicks) AS clicks,
  sum(e.video_views) AS video_views, count(e.publication_id)::int AS n`;

/** Totals with the engagement rate: (likes + shares + comments + clicks) / impressions, 0 without impressions. */
export function totalsOf(r: Partial<TotalsRow> | undefined): EngagementTotals {
  const n = (v: string | null | undefined) => Number(v ?? 0);
  const t = {
    impressions: n(r?.impressions),
    reach: n(r?.reach),
    likes: n(r?.likes),
    shares: n(r?.shares),
    comments: n(r?.comments),
    clicks: n(r?.clicks),
    videoViews: n(r?.video_views),
  };
  const engaged = t.likes + t.shares + t.comments + t.clicks;
  return { ...t, engagementRate: t.impressions > 0 ? engaged / t.impressions : 0 };
}

/** The longest period one scorecard covers: five years. */
export const MAX_SCORECARD_MS = 5 * 366 * 86_400_000;

/** Scorecards, the state overview and engagement metrics, read under the caller's tenant. */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly ds: DataSource,
    @Inject(PRICE_LIST) private readonly prices: PriceList,
  ) {}

  /**
   * A department's scorecard for [from, to); another department's answers NOT_FOUND. Arguments never
   * fail it (the field sits under mutations too, e.g. createDepartment's result, where an error would
   * hide the mutation's effect): an empty or reversed period holds no instant, so its scorecard is
   * empty; a period longer than MAX_SCORECARD_MS covers its last MAX_SCORECARD_MS, and `from` says so.
   */
  async scorecard(caller: Principal, departmentId: string, from: Date, to: Date): Promise<Scorecard> {
    if (!isUuid(departmentId) || !canAccessDepartment(caller, departmentId)) {
      throw new NotFoundError('Department', departmentId);
    }
    if (to.getTime() - from.getTime() > MAX_SCORECARD_MS) from = new Date(to.getTime() - MAX_SCORECARD_MS);
    return asCaller(this.ds, caller, async (em) => {
      const args = [departmentId, from, to];
      const published: { kind: string; platform: string; n: number }[] = await em.query(
        `SELECT COALESCE(c.kind, p.kind, 'UNKNOWN') AS kind, p.platform, count(*)::int AS n
           FROM publications p LEFT JOIN contents c ON c.content_id = p.content_id
          WHERE p.department_id = $1 AND p.published_at >= $2 AND p.published_at < $3
          GROUP BY 1, 2`,
        args,
      );
      const byKind = new Map<string, number>();
      const byPlatform = new Map<string, number>();
      for (const r of published) {
        byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + r.n);
        byPlatform.set(r.platform, (byPlatform.get(r.platform) ?? 0) + r.n);
      }
      const days = kolkataDaysIn(from, to);
      const metDays: { day: string }[] = await em.query(
        `SELECT DISTINCT to_char((p.published_at AT TIME ZONE 'Asia/Kolkata')::date, 'YYYY-MM-DD') AS day
           FROM publications p LEFT JOIN contents c ON c.content_id = p.content_id
          WHERE p.department_id = $1 AND p.published_at >= $2 AND p.published_at < $3
            AND COALESCE(c.kind, p.kind) = 'ACHIEVEMENT'`,
        args,
      );
      // Turnaround: a version's first final decision minus that version's submission (the latest
      // one before the decision; a resubmission of the same version restarts it). The two times
      // come from two services' clocks, so a decision stamped before its submission (intake's clock
      // ahead) is still paired with it and counts as 0, never negative and never dropped.
      const [turnaround]: { median: number | null; p90: number | null }[] = await em.query(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY minutes) AS median,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY minutes) AS p90
           FROM (SELECT greatest(0, extract(epoch FROM d.decided_at - s.submitted_at)) / 60.0 AS minutes
                   FROM (SELECT DISTINCT ON (content_id, version) content_id, version, decided_at
                           FROM decisions
                          WHERE department_id = $1 AND final AND decided_at >= $2 AND decided_at < $3
                          ORDER BY content_id, version, decided_at) d
                   CROSS JOIN LATERAL (
                     SELECT COALESCE(max(submitted_at) FILTER (WHERE submitted_at <= d.decided_at),
                                     min(submitted_at)) AS submitted_at
                       FROM content_submissions s
                      WHERE s.content_id = d.content_id AND s.version = d.version) s
                  WHERE s.submitted_at IS NOT NULL) t`,
        args,
      );
      const [{ n: slaBreaches }]: { n: number }[] = await em.query(
        `SELECT count(*)::int AS n FROM sla_breaches WHERE department_id = $1 AND due_at >= $2 AND due_at < $3`,
        args,
      );
      const [totals]: TotalsRow[] = await em.query(
        `SELECT ${TOTALS_SQL} FROM engagement e JOIN publications p ON p.publication_id = e.publication_id
          WHERE p.department_id = $1 AND p.published_at >= $2 AND p.published_at < $3`,
        args,
      );
      const [{ cost }]: { cost: string | null }[] = await em.query(
        `SELECT sum(CASE p.platform
                  WHEN 'X' THEN CASE WHEN COALESCE(p.has_link, c.has_link, false) THEN $5::numeric ELSE $4::numeric END
                  WHEN 'FACEBOOK' THEN $6::numeric WHEN 'INSTAGRAM' THEN $7::numeric WHEN 'WHATSAPP' THEN $8::numeric
                  ELSE 0 END) AS cost
           FROM publications p LEFT JOIN contents c ON c.content_id = p.content_id
          WHERE p.department_id = $1 AND p.published_at >= $2 AND p.published_at < $3`,
        [
          ...args,
          this.prices.xPost,
          this.prices.xLinkPost,
          this.prices.facebookPost,
          this.prices.instagramPost,
          this.prices.whatsappPost,
        ],
      );
      const num = (v: number | string | null | undefined) =>
        v === null || v === undefined ? null : Number(v);
      return {
        departmentId,
        department: dept(departmentId),
        from,
        to,
        published: published.reduce((a, r) => a + r.n, 0),
        publishedByKind: KINDS.filter((k) => byKind.has(k)).map((kind) => ({
          kind,
          count: byKind.get(kind)!,
        })),
        publishedByPlatform: PLATFORMS.filter((p) => byPlatform.has(p)).map((platform) => ({
          platform,
          count: byPlatform.get(platform)!,
        })),
        achievementDaysMet: metDays.filter((d) => days.includes(d.day)).length,
        achievementDaysTotal: days.length,
        approvalTurnaroundMedianMinutes: num(turnaround?.median),
        approvalTurnaroundP90Minutes: num(turnaround?.p90),
        slaBreaches,
        engagement: totalsOf(totals),
        cost: Number(cost ?? 0),
        costCurrency: this.prices.currency,
      };
    });
  }

  /** The most engaging publications of a scorecard's period (likes + shares + comments + clicks). */
  async topPosts(
    caller: Principal,
    s: Scorecard,
    limit: number,
  ): Promise<{ __typename: 'Publication'; id: string }[]> {
    // Clamped, not refused: like the period, it must not fail a mutation's result (see scorecard).
    limit = Math.min(Math.max(limit, 0), 100);
    if (limit === 0) return [];
    const rows: { publication_id: string }[] = await asCaller(this.ds, caller, (em) =>
      em.query(
        `SELECT p.publication_id FROM publications p JOIN engagement e ON e.publication_id = p.publication_id
          WHERE p.department_id = $1 AND p.published_at >= $2 AND p.published_at < $3
          ORDER BY (e.likes + e.shares + e.comments + e.clicks) DESC, e.impressions DESC, p.publication_id
          LIMIT $4`,
        [s.departmentId, s.from, s.to, limit],
      ),
    );
    return rows.map((r) => ({ __typename: 'Publication' as const, id: r.publication_id }));
  }

  /** For the IT cell: every department known, and whether it published an achievement that day. */
  async stateOverview(caller: Principal, date: string): Promise<StateOverview> {
    if (!isStateWide(caller)) throw new ForbiddenError('Only the IT cell sees the state overview');
    if (!isCalendarDate(date)) {
      throw new BadInputError('Not a date', [
        { field: 'date', rule: 'DATE', message: 'Give the day as YYYY-MM-DD (Asia/Kolkata)' },
      ]);
    }
    const rows: { department_id: string; achievement: boolean; published: number }[] = await asCaller(
      this.ds,
      caller,
      (em) =>
        em.query(
          `SELECT d.department_id,
                  COALESCE(bool_or(f.kind = 'ACHIEVEMENT' AND f.published > 0), false) AS achievement,
                  COALESCE(sum(f.published), 0)::int AS published
             FROM departments d LEFT JOIN daily_facts f ON f.department_id = d.department_id AND f.day = $1::date
            GROUP BY d.department_id
            ORDER BY achievement DESC, published DESC, d.department_id`,
          [date],
        ),
    );
    return {
      date,
      departments: rows.map((r) => ({
        department: dept(r.department_id),
        date,
        achievementPublished: r.achievement,
      })),
      missingAchievement: rows.filter((r) => !r.achievement).map((r) => dept(r.department_id)),
    };
  }

  /** A publication's latest engagement; null when unknown or another department's. */
  async publicationMetrics(caller: Principal, publicationId: string): Promise<EngagementTotals | null> {
    if (!isUuid(publicationId)) return null;
    return asCaller(this.ds, caller, async (em) => {
      const [row]: (TotalsRow & { department_id: string })[] = await em.query(
        `SELECT e.department_id, ${TOTALS_SQL} FROM engagement e WHERE e.publication_id = $1 GROUP BY e.department_id`,
        [publicationId],
      );
      return row && canAccessDepartment(caller, row.department_id) ? totalsOf(row) : null;
    });
  }

  /** A content item's engagement over all its publications; null when none or another department's. */
  async contentMetrics(caller: Principal, contentId: string): Promise<EngagementTotals | null> {
    if (!isUuid(contentId)) return null;
    return asCaller(this.ds, caller, async (em) => metricsOfContent(em, caller, contentId));
  }
}

async function metricsOfContent(
  em: EntityManager,
  caller: Principal,
  contentId: string,
): Promise<EngagementTotals | null> {
  const [row]: (TotalsRow & { department_id: string })[] = await em.query(
    `SELECT e.department_id, ${TOTALS_SQL} FROM engagement e WHERE e.content_id = $1 GROUP BY e.department_id`,
    [contentId],
  );
  return row && row.n > 0 && canAccessDepartment(caller, row.department_id) ? totalsOf(row) : null;
}
