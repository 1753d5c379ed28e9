import type { EntityManager } from 'typeorm';
import type { DeferredWork } from '@prasar/kafka';
import type { PriceList } from '../pricing';

// The read models' writes for one transaction (a batch of events, or one event), merged by key in
// memory and written as one multi-row statement per table when the transaction is about to commit.
// Every merge below gives the row that applying the events one by one, in arrival order, would
// give; the statements keep the same rules against the rows already stored, so a batch, the same
// events one by one, and a replay of the topics all end in the same numbers.

export interface ContentRow {
  content_id: string;
  department_id: string;
  kind: string;
  priority: string;
  title: string;
  has_link: boolean;
  version: number;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

export interface VersionRow {
  content_id: string;
  version: number;
  department_id: string;
  kind: string;
  title: string;
  body: { language: number; text: string }[];
  hashtags: string[];
  link: string | null;
  actor: string;
  at: Date;
}

export interface SubmissionRow {
  content_id: string;
  submitted_at: Date;
  department_id: string;
  version: number;
}

export interface DecisionRow {
  event_id: string;
  content_id: string;
  department_id: string;
  version: number;
  stage_index: number | null;
  decision: string;
  final: boolean;
  actor: string;
  comment: string | null;
  decided_at: Date;
}

export interface BreachRow {
  approval_id: string;
  stage_index: number;
  department_id: string;
  content_id: string;
  role: string;
  priority: string;
  due_at: Date;
}

/** A publication upsert: null fields leave what is stored; `state` null keeps the stored state. */
export interface PublicationRow {
  publication_id: string;
  department_id: string;
  content_id: string;
  account_id: string;
  platform: string;
  kind: string | null;
  has_link: boolean | null;
  content_version: number | null;
  state: string | null;
  scheduled_at: Date | null;
}

export interface PublishedRow {
  publication_id: string;
  published_at: Date;
  external_id: string | null;
  url: string | null;
}

export interface EngagementRow {
  publication_id: string;
  department_id: string;
  content_id: string;
  platform: string;
  impressions: number;
  reach: number;
  likes: number;
  shares: number;
  comments: number;
  clicks: number;
  video_views: number;
  observed_at: Date;
}

/** States a publication never leaves once it reached them (except into PUBLISHED, which always wins). */
const TERMINAL = new Set(['PUBLISHED', 'FAILED', 'CANCELLED']);

const sortedValues = <T>(m: Map<string, T>): T[] =>
  [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);

/** What one transaction has to write; filled by the ingest service, written by `ReadModelWrites`. */
export class ReadModelBatch {
  readonly departments = new Map<string, Date>();
  readonly contents = new Map<string, ContentRow>();
  readonly versions = new Map<string, VersionRow>();
  readonly submissions = new Map<string, SubmissionRow>();
  readonly decisions = new Map<string, DecisionRow>();
  readonly breaches = new Map<string, BreachRow>();
  readonly publications = new Map<string, PublicationRow>();
  readonly published = new Map<string, PublishedRow>();
  readonly engagement = new Map<string, EngagementRow>();
  /** Publications and contents whose days' facts must be recomputed. */
  readonly dayPublications = new Set<string>();
  readonly dayContents = new Set<string>();

  department(id: string, at: Date): void {
    const seen = this.departments.get(id);
    if (!seen || at < seen) this.departments.set(id, at);
  }

  content(row: ContentRow): void {
    const cur = this.contents.get(row.content_id);
    if (!cur) {
      this.contents.set(row.content_id, row);
      return;
    }
    const newer = row.version >= cur.version;
    this.contents.set(row.content_id, {
      ...cur,
      kind: newer ? row.kind : cur.kind,
      priority: newer ? row.priority : cur.priority,
      title: newer ? row.title : cur.title,
      has_link: newer ? row.has_link : cur.has_link,
      version: Math.max(cur.version, row.version),
      created_at: row.created_at < cur.created_at ? row.created_at : cur.created_at,
      updated_at: row.updated_at > cur.updated_at ? row.updated_at : cur.updated_at,
    });
  }

  version(row: VersionRow): void {
    const key = `${row.content_id}:${row.version}`;
    const cur = this.versions.get(key);
    if (!cur) this.versions.set(key, row);
    else if (row.at < cur.at) this.versions.set(key, { ...cur, at: row.at });
  }

  submission(row: SubmissionRow): void {
    const key = `${row.content_id}:${row.submitted_at.toISOString()}`;
    if (!this.submissions.has(key)) this.submissions.set(key, row);
  }

  decision(row: DecisionRow): void {
    if (!this.decisions.has(row.event_id)) this.decisions.set(row.event_id, row);
  }

  breach(row: BreachRow): void {
    const key = `${row.approval_id}:${row.stage_index}`;
    if (!this.breaches.has(key)) this.breaches.set(key, row);
  }

  publication(row: PublicationRow): void {
    const cur = this.publications.get(row.publication_id);
    if (!cur) {
      this.publications.set(row.publication_id, row);
      return;
    }
    // The state the rows would reach one after another, from a stored state that is not final
    // (null: none of them set one); the statement then applies the same rule to the stored row.
    const state = (cur.state && TERMINAL.has(cur.state)) || row.state === null ? cur.state : row.state;
    this.publications.set(row.publication_id, {
      ...cur,
      kind: row.kind ?? cur.kind,
      has_link: row.has_link ?? cur.has_link,
      content_version: row.content_version ?? cur.content_version,
      scheduled_at: row.scheduled_at ?? cur.scheduled_at,
      state,
    });
  }

  markPublished(row: PublishedRow): void {
    this.published.set(row.publication_id, row);
  }

  /** The latest observation wins; at the same instant, the higher impressions. */
  engagementSnapshot(row: EngagementRow): void {
    const cur = this.engagement.get(row.publication_id);
    if (
      !cur ||
      row.observed_at > cur.observed_at ||
      (row.observed_at.getTime() === cur.observed_at.getTime() && row.impressions > cur.impressions)
    )
      this.engagement.set(row.publication_id, row);
  }

  get empty(): boolean {
    return (
      this.departments.size +
        this.contents.size +
        this.versions.size +
        this.submissions.size +
        this.decisions.size +
        this.breaches.size +
        this.publications.size +
        this.engagement.size ===
      0
    );
  }
}

const json = (rows: unknown[]) => JSON.stringify(rows);

/** Writes a transaction's batch: rows in key order (so concurrent batches lock rows in one order). */
export class ReadModelWrites implements DeferredWork<ReadModelBatch> {
  constructor(private readonly prices: PriceList) {}

  create(): ReadModelBatch {
    return new ReadModelBatch();
  }

  async flush(b: ReadModelBatch, em: EntityManager): Promise<void> {
    await this.departments(b, em);
    if (b.contents.size > 0)
      await em.query(
        `INSERT INTO contents (content_id, department_id, kind, priority, title, has_link, version, created_by, created_at, updated_at)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(content_id uuid, department_id uuid, kind text, priority text,
           title text, has_link boolean, version int, created_by text, created_at timestamptz, updated_at timestamptz)
         ON CONFLICT (content_id) DO UPDATE SET
           kind = CASE WHEN EXCLUDED.version >= contents.version THEN EXCLUDED.kind ELSE contents.kind END,
           priority = CASE WHEN EXCLUDED.version >= contents.version THEN EXCLUDED.priority ELSE contents.priority END,
           title = CASE WHEN EXCLUDED.version >= contents.version THEN EXCLUDED.title ELSE contents.title END,
           has_link = CASE WHEN EXCLUDED.version >= contents.version THEN EXCLUDED.has_link ELSE contents.has_link END,
           version = GREATEST(contents.version, EXCLUDED.version),
           created_at = LEAST(contents.created_at, EXCLUDED.created_at),
           updated_at = GREATEST(contents.updated_at, EXCLUDED.updated_at)`,
        [json(sortedValues(b.contents))],
      );
    if (b.versions.size > 0)
      await em.query(
        `INSERT INTO content_versions (content_id, version, department_id, kind, title, body, hashtags, link, actor, at)
         SELECT r.content_id, r.version, r.department_id, r.kind, r.title, r.body,
                ARRAY(SELECT jsonb_array_elements_text(r.hashtags)), r.link, r.actor, r.at
           FROM jsonb_to_recordset($1::jsonb) AS r(content_id uuid, version int, department_id uuid, kind text,
             title text, body jsonb, hashtags jsonb, link text, actor text, at timestamptz)
         ON CONFLICT (content_id, version) DO UPDATE SET at = LEAST(content_versions.at, EXCLUDED.at)`,
        [json(sortedValues(b.versions))],
      );
    if (b.submissions.size > 0)
      await em.query(
        `INSERT INTO content_submissions (content_id, submitted_at, department_id, version)
         SELECT * FROM jsonb_to_recordset($1::jsonb)
           AS r(content_id uuid, submitted_at timestamptz, department_id uuid, version int)
         ON CONFLICT DO NOTHING`,
        [json(sortedValues(b.submissions))],
      );
    if (b.decisions.size > 0)
      await em.query(
        `INSERT INTO decisions (event_id, content_id, department_id, version, stage_index, decision, final, actor, comment, decided_at)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(event_id text, content_id uuid, department_id uuid,
           version int, stage_index int, decision text, final boolean, actor text, comment text, decided_at timestamptz)
         ON CONFLICT (event_id) DO NOTHING`,
        [json(sortedValues(b.decisions))],
      );
    if (b.breaches.size > 0)
      await em.query(
        `INSERT INTO sla_breaches (approval_id, stage_index, department_id, content_id, role, priority, due_at)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(approval_id uuid, stage_index int, department_id uuid,
           content_id uuid, role text, priority text, due_at timestamptz)
         ON CONFLICT DO NOTHING`,
        [json(sortedValues(b.breaches))],
      );
    await this.publications(b, em);
    if (b.engagement.size > 0)
      await em.query(
        `INSERT INTO engagement (publication_id, department_id, content_id, platform, impressions, reach, likes, shares,
                                 comments, clicks, video_views, observed_at)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(publication_id uuid, department_id uuid, content_id uuid,
           platform text, impressions bigint, reach bigint, likes bigint, shares bigint, comments bigint, clicks bigint,
           video_views bigint, observed_at timestamptz)
         ON CONFLICT (publication_id) DO UPDATE SET
           impressions = EXCLUDED.impressions, reach = EXCLUDED.reach, likes = EXCLUDED.likes,
           shares = EXCLUDED.shares, comments = EXCLUDED.comments, clicks = EXCLUDED.clicks,
           video_views = EXCLUDED.video_views, observed_at = EXCLUDED.observed_at
         WHERE EXCLUDED.observed_at > engagement.observed_at
            OR (EXCLUDED.observed_at = engagement.observed_at AND EXCLUDED.impressions > engagement.impressions)`,
        [json(sortedValues(b.engagement))],
      );
    await this.days(b, em);
  }

  /** Departments seen earlier than stored (or not at all): only those rows are written and locked. */
  private async departments(b: ReadModelBatch, em: EntityManager): Promise<void> {
    if (b.departments.size === 0) return;
    const stored: { department_id: string; first_seen_at: Date }[] = await em.query(
      `SELECT department_id, first_seen_at FROM departments WHERE department_id = ANY($1::uuid[])`,
      [[...b.departments.keys()]],
    );
    const known = new Map(stored.map((r) => [r.department_id, r.first_seen_at]));
    const rows = sortedValues(
      new Map(
        [...b.departments]
          .filter(([id, at]) => !(known.get(id)! <= at))
          .map(([id, at]) => [id, { department_id: id, first_seen_at: at }]),
      ),
    );
    if (rows.length === 0) return;
    await em.query(
      `INSERT INTO departments (department_id, first_seen_at)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(department_id uuid, first_seen_at timestamptz)
       ON CONFLICT (department_id) DO UPDATE SET first_seen_at = LEAST(departments.first_seen_at, EXCLUDED.first_seen_at)`,
      [json(rows)],
    );
  }

  private async publications(b: ReadModelBatch, em: EntityManager): Promise<void> {
    if (b.publications.size > 0) {
      const rows = sortedValues(b.publications);
      // An event that sets no state is written with the empty state, which the update reads as
      // "keep the stored one"; a row it newly creates then starts SCHEDULED, as one by one would.
      await em.query(
        `INSERT INTO publications (publication_id, department_id, content_id, account_id, platform, kind, has_link,
                                   content_version, state, scheduled_at)
         SELECT r.publication_id, r.department_id, r.content_id, r.account_id, r.platform, r.kind, r.has_link,
                r.content_version, COALESCE(r.state, ''), r.scheduled_at
           FROM jsonb_to_recordset($1::jsonb) AS r(publication_id uuid, department_id uuid, content_id uuid,
             account_id text, platform text, kind text, has_link boolean, content_version int, state text,
             scheduled_at timestamptz)
         ON CONFLICT (publication_id) DO UPDATE SET
           kind = COALESCE(EXCLUDED.kind, publications.kind),
           has_link = COALESCE(EXCLUDED.has_link, publications.has_link),
           content_version = COALESCE(EXCLUDED.content_version, publications.content_version),
           scheduled_at = COALESCE(EXCLUDED.scheduled_at, publications.scheduled_at),
           state = CASE WHEN publications.state IN ('PUBLISHED', 'FAILED', 'CANCELLED') OR EXCLUDED.state = ''
                        THEN publications.state ELSE EXCLUDED.state END`,
        [json(rows)],
      );
      const stateless = rows.filter((r) => r.state === null).map((r) => r.publication_id);
      if (stateless.length > 0)
        await em.query(
          `UPDATE publications SET state = 'SCHEDULED' WHERE publication_id = ANY($1::uuid[]) AND state = ''`,
          [stateless],
        );
    }
    // Every published publication was upserted just above, so this locks no row it does not hold.
    if (b.published.size > 0)
      await em.query(
        `UPDATE publications p SET state = 'PUBLISHED', published_at = r.published_at,
                external_id = r.external_id, url = r.url
           FROM jsonb_to_recordset($1::jsonb) AS r(publication_id uuid, published_at timestamptz, external_id text, url text)
          WHERE p.publication_id = r.publication_id`,
        [json(sortedValues(b.published))],
      );
  }

  /** Recomputes the daily facts of every department-day the batch touched, from the publications. */
  private async days(b: ReadModelBatch, em: EntityManager): Promise<void> {
    if (b.dayPublications.size === 0 && b.dayContents.size === 0) return;
    const touched: { department_id: string; day: string }[] = await em.query(
      `SELECT DISTINCT department_id, to_char((published_at AT TIME ZONE 'Asia/Kolkata')::date, 'YYYY-MM-DD') AS day
         FROM publications
        WHERE published_at IS NOT NULL AND (publication_id = ANY($1::uuid[]) OR content_id = ANY($2::uuid[]))
        ORDER BY 1, 2`,
      [[...b.dayPublications], [...b.dayContents]],
    );
    if (touched.length > 0) await this.refreshDays(em, touched);
  }

  /** Recomputes daily facts for department-days (locked in one order, so concurrent batches queue, not deadlock). */
  async refreshDays(em: EntityManager, pairs: { department_id: string; day: string }[]): Promise<void> {
    const keys = [...new Map(pairs.map((p) => [`${p.department_id}:${p.day}`, p])).entries()].sort(
      ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0),
    );
    if (keys.length === 0) return;
    await em.query(
      `SELECT pg_advisory_xact_lock(hashtext('analytics:' || k)) FROM unnest($1::text[]) WITH ORDINALITY AS t(k, n) ORDER BY n`,
      [keys.map(([k]) => k)],
    );
    const rows = json(keys.map(([, p]) => p));
    await em.query(
      `DELETE FROM daily_facts f USING jsonb_to_recordset($1::jsonb) AS r(department_id uuid, day date)
        WHERE f.department_id = r.department_id AND f.day = r.day`,
      [rows],
    );
    const pr = this.prices;
    await em.query(
      `INSERT INTO daily_facts (department_id, day, kind, platform, published, cost)
       SELECT p.department_id, r.day, COALESCE(c.kind, p.kind, 'UNKNOWN'), p.platform, count(*),
              sum(CASE p.platform
                    WHEN 'X' THEN CASE WHEN COALESCE(p.has_link, c.has_link, false) THEN $3::numeric ELSE $2::numeric END
                    WHEN 'FACEBOOK' THEN $4::numeric WHEN 'INSTAGRAM' THEN $5::numeric WHEN 'WHATSAPP' THEN $6::numeric
                    ELSE 0 END)
         FROM jsonb_to_recordset($1::jsonb) AS r(department_id uuid, day date)
         JOIN publications p ON p.department_id = r.department_id AND p.published_at IS NOT NULL
          AND p.published_at >= (r.day::timestamp AT TIME ZONE 'Asia/Kolkata')
          AND p.published_at < ((r.day + 1)::timestamp AT TIME ZONE 'Asia/Kolkata')
         LEFT JOIN contents c ON c.content_id = p.content_id
        GROUP BY p.department_id, r.day, COALESCE(c.kind, p.kind, 'UNKNOWN'), p.platform`,
      [rows, pr.xPost, pr.xLinkPost, pr.facebookPost, pr.instagramPost, pr.whatsappPost],
    );
  }
}
