import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import {
  ContentKind,
  Decision,
  Platform as PbPlatform,
  Priority,
  type ApprovalEscalated,
  type ChangesRequested,
  type ContentApproved,
  type ContentCreated,
  type ContentRejected,
  type ContentSnapshot,
  type ContentSubmitted,
  type ContentUpdated,
  type ContentWithdrawn,
  type EngagementSnapshot,
  type PublicationCancelled,
  type PublicationFailed,
  type PublicationPublished,
  type PublicationScheduled,
  type PublishRequested,
  type StageDecided,
} from '@prasar/contracts';
import { PRICE_LIST, type PriceList } from '../pricing';
import { kolkataDate } from '../time';

/** What the read models need to know about the event being applied. */
export interface EventMeta {
  id: string;
  /** When the event happened (ce_time). */
  time: Date;
}

const tsOr = (t: Timestamp | undefined, fallback: Date): Date => (t ? timestampDate(t) : fallback);
const actorOf = (a: { subject: string } | undefined) => a?.subject ?? '';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Events without well-formed ids (which no producer of ours sends) are skipped, not retried forever. */
const isUuid = (v: string | undefined) => !!v && UUID.test(v);
const platformName = (p: PbPlatform) => PbPlatform[p] ?? 'UNSPECIFIED';

/**
 * Applies events to the read models. Every write is a keyed upsert or a per-event-id insert, and
 * derived rows (daily facts) are recomputed from base rows, so redelivery and replay from the
 * start of the topics change nothing, and the order events arrive in across topics does not matter.
 */
@Injectable()
export class IngestService {
  constructor(@Inject(PRICE_LIST) private readonly prices: PriceList) {}

  private async department(em: EntityManager, departmentId: string, at: Date): Promise<void> {
    if (!isUuid(departmentId)) return;
    await em.query(
      `INSERT INTO departments (department_id, first_seen_at) VALUES ($1, $2)
       ON CONFLICT (department_id) DO UPDATE SET first_seen_at = LEAST(departments.first_seen_at, EXCLUDED.first_seen_at)`,
      [departmentId, at],
    );
  }

  /** A version of the content (created, edited or submitted): the content row and the version record. */
  private async version(
    em: EntityManager,
    ids: { contentId: string; departmentId: string },
    s: ContentSnapshot,
    actor: string,
    at: Date,
  ): Promise<void> {
    if (!isUuid(ids.contentId) || !isUuid(ids.departmentId)) return;
    const kind = ContentKind[s.kind];
    const createdAt = tsOr(s.createdAt, at);
    await em.query(
      `INSERT INTO contents (content_id, department_id, kind, priority, title, has_link, version, created_by, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (content_id) DO UPDATE SET
         kind = CASE WHEN EXCLUDED.version >= contents.version THEN EXCLUDED.kind ELSE contents.kind END,
         priority = CASE WHEN EXCLUDED.version >= contents.version THEN EXCLUDED.priority ELSE contents.priority END,
         title = CASE WHEN EXCLUDED.version >= contents.version THEN EXCLUDED.title ELSE contents.title END,
         has_link = CASE WHEN EXCLUDED.version >= contents.version THEN EXCLUDED.has_link ELSE contents.has_link END,
         version = GREATEST(contents.version, EXCLUDED.version),
         created_at = LEAST(contents.created_at, EXCLUDED.created_at),
         updated_at = GREATEST(contents.updated_at, EXCLUDED.updated_at)`,
      [
        ids.contentId,
        ids.departmentId,
        kind,
        Priority[s.priority] ?? 'NORMAL',
        s.title,
        !!s.link,
        s.version,
        actorOf(s.createdBy),
        createdAt,
        at,
      ],
    );
    await em.query(
      `INSERT INTO content_versions (content_id, version, department_id, kind, title, body, hashtags, link, actor, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (content_id, version) DO UPDATE SET at = LEAST(content_versions.at, EXCLUDED.at)`,
      [
        ids.contentId,
        s.version,
        ids.departmentId,
        kind,
        s.title,
        JSON.stringify(s.body.map((b) => ({ language: b.language, text: b.text }))),
        [...s.hashtags],
        s.link ?? null,
        actor,
        at,
      ],
    );
    await this.refreshContentDays(em, ids.contentId);
  }

  async contentCreated(em: EntityManager, e: ContentCreated, meta: EventMeta): Promise<void> {
    await this.department(em, e.departmentId, meta.time);
    if (e.snapshot) await this.version(em, e, e.snapshot, actorOf(e.actor), meta.time);
  }

  async contentUpdated(em: EntityManager, e: ContentUpdated, meta: EventMeta): Promise<void> {
    await this.department(em, e.departmentId, meta.time);
    if (e.snapshot) await this.version(em, e, e.snapshot, actorOf(e.actor), meta.time);
  }

  async contentSubmitted(em: EntityManager, e: ContentSubmitted, meta: EventMeta): Promise<void> {
    if (!isUuid(e.contentId) || !isUuid(e.departmentId)) return;
    await this.department(em, e.departmentId, meta.time);
    if (e.snapshot) await this.version(em, e, e.snapshot, actorOf(e.actor), meta.time);
    await em.query(
      `INSERT INTO content_submissions (content_id, submitted_at, department_id, version)
       VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [e.contentId, tsOr(e.submittedAt, meta.time), e.departmentId, e.snapshot?.version ?? 0],
    );
  }

  async contentWithdrawn(em: EntityManager, e: ContentWithdrawn, meta: EventMeta): Promise<void> {
    await this.decision(em, meta, {
      contentId: e.contentId,
      departmentId: e.departmentId,
      version: e.version,
      stageIndex: null,
      decision: 'WITHDRAWN',
      final: false,
      actor: actorOf(e.actor),
      comment: e.reason,
      at: meta.time,
    });
  }

  async stageDecided(em: EntityManager, e: StageDecided, meta: EventMeta): Promise<void> {
    await this.decision(em, meta, {
      contentId: e.contentId,
      departmentId: e.departmentId,
      version: e.contentVersion,
      stageIndex: e.stageIndex,
      decision: Decision[e.decision] ?? 'UNSPECIFIED',
      final: false,
      actor: actorOf(e.actor),
      comment: e.comment || null,
      at: tsOr(e.decidedAt, meta.time),
    });
  }

  async changesRequested(em: EntityManager, e: ChangesRequested, meta: EventMeta): Promise<void> {
    await this.decision(em, meta, {
      contentId: e.contentId,
      departmentId: e.departmentId,
      version: e.contentVersion,
      stageIndex: e.stageIndex,
      decision: 'CHANGES_REQUESTED',
      final: false,
      actor: actorOf(e.actor),
      comment: e.comment || null,
      at: meta.time,
    });
  }

  async contentApproved(em: EntityManager, e: ContentApproved, meta: EventMeta): Promise<void> {
    if (e.snapshot) await this.version(em, e, e.snapshot, actorOf(e.snapshot.createdBy), meta.time);
    await this.decision(em, meta, {
      contentId: e.contentId,
      departmentId: e.departmentId,
      version: e.contentVersion,
      stageIndex: null,
      decision: 'APPROVED',
      final: true,
      actor: e.approvers.map((a) => a.subject).join(' '),
      comment: null,
      at: tsOr(e.approvedAt, meta.time),
    });
  }

  async contentRejected(em: EntityManager, e: ContentRejected, meta: EventMeta): Promise<void> {
    await this.decision(em, meta, {
      contentId: e.contentId,
      departmentId: e.departmentId,
      version: e.contentVersion,
      stageIndex: e.stageIndex,
      decision: 'REJECTED',
      final: true,
      actor: actorOf(e.actor),
      comment: e.reason,
      at: meta.time,
    });
  }

  private async decision(
    em: EntityManager,
    meta: EventMeta,
    d: {
      contentId: string;
      departmentId: string;
      version: number;
      stageIndex: number | null;
      decision: string;
      final: boolean;
      actor: string;
      comment: string | null;
      at: Date;
    },
  ): Promise<void> {
    if (!isUuid(d.contentId) || !isUuid(d.departmentId)) return;
    await this.department(em, d.departmentId, d.at);
    await em.query(
      `INSERT INTO decisions (event_id, content_id, department_id, version, stage_index, decision, final, actor, comment, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (event_id) DO NOTHING`,
      [
        meta.id,
        d.contentId,
        d.departmentId,
        d.version,
        d.stageIndex,
        d.decision,
        d.final,
        d.actor,
        d.comment,
        d.at,
      ],
    );
  }

  /** An overdue approval stage: one SLA breach per approval and stage. */
  async approvalEscalated(em: EntityManager, e: ApprovalEscalated, meta: EventMeta): Promise<void> {
    if (!isUuid(e.approvalId) || !isUuid(e.contentId) || !isUuid(e.departmentId)) return;
    await this.department(em, e.departmentId, meta.time);
    await em.query(
      `INSERT INTO sla_breaches (approval_id, stage_index, department_id, content_id, role, priority, due_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [
        e.approvalId,
        e.stageIndex,
        e.departmentId,
        e.contentId,
        e.role,
        Priority[e.priority] ?? 'NORMAL',
        tsOr(e.dueAt, meta.time),
      ],
    );
  }

  private async publication(
    em: EntityManager,
    p: {
      publicationId: string;
      departmentId: string;
      contentId: string;
      accountId: string;
      platform: PbPlatform;
      contentVersion?: number;
      kind?: string | null;
      hasLink?: boolean | null;
      state?: string | null;
      scheduledAt?: Date | null;
    },
  ): Promise<void> {
    if (!isUuid(p.publicationId) || !isUuid(p.contentId) || !isUuid(p.departmentId)) return;
    await em.query(
      `INSERT INTO publications (publication_id, department_id, content_id, account_id, platform, kind, has_link, content_version, state, scheduled_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, COALESCE($9, 'SCHEDULED'), $10)
       ON CONFLICT (publication_id) DO UPDATE SET
         kind = COALESCE(EXCLUDED.kind, publications.kind),
         has_link = COALESCE(EXCLUDED.has_link, publications.has_link),
         content_version = COALESCE(EXCLUDED.content_version, publications.content_version),
         scheduled_at = COALESCE(EXCLUDED.scheduled_at, publications.scheduled_at),
         state = CASE WHEN publications.state IN ('PUBLISHED', 'FAILED', 'CANCELLED') OR $9::text IS NULL
                      THEN publications.state ELSE $9 END`,
      [
        p.publicationId,
        p.departmentId,
        p.contentId,
        p.accountId,
        platformName(p.platform),
        p.kind ?? null,
        p.hasLink ?? null,
        p.contentVersion ?? null,
        p.state ?? null,
        p.scheduledAt ?? null,
      ],
    );
  }

  async publicationScheduled(em: EntityManager, e: PublicationScheduled, meta: EventMeta): Promise<void> {
    await this.department(em, e.departmentId, meta.time);
    await this.publication(em, { ...e, scheduledAt: tsOr(e.scheduledAt, meta.time) });
  }

  async publishRequested(em: EntityManager, e: PublishRequested, meta: EventMeta): Promise<void> {
    await this.department(em, e.departmentId, meta.time);
    await this.publication(em, {
      ...e,
      kind: e.snapshot ? ContentKind[e.snapshot.kind] : null,
      hasLink: e.snapshot ? !!e.snapshot.link : null,
      scheduledAt: tsOr(e.scheduledAt, meta.time),
    });
    await this.refreshPublicationDay(em, e.publicationId);
  }

  async publicationCancelled(em: EntityManager, e: PublicationCancelled, meta: EventMeta): Promise<void> {
    await this.department(em, e.departmentId, meta.time);
    await this.publication(em, { ...e, state: 'CANCELLED' });
  }

  async publicationFailed(em: EntityManager, e: PublicationFailed, meta: EventMeta): Promise<void> {
    await this.department(em, e.departmentId, meta.time);
    await this.publication(em, { ...e, state: e.permanent ? 'FAILED' : null });
  }

  async publicationPublished(em: EntityManager, e: PublicationPublished, meta: EventMeta): Promise<void> {
    if (!isUuid(e.publicationId) || !isUuid(e.contentId) || !isUuid(e.departmentId)) return;
    await this.department(em, e.departmentId, meta.time);
    await this.publication(em, e);
    await em.query(
      `UPDATE publications SET state = 'PUBLISHED', published_at = $2, external_id = $3, url = $4
       WHERE publication_id = $1`,
      [e.publicationId, tsOr(e.publishedAt, meta.time), e.externalId || null, e.url || null],
    );
    await this.refreshPublicationDay(em, e.publicationId);
  }

  /** The latest cumulative counts of a publication win; an older snapshot arriving late changes nothing. */
  async engagementSnapshot(em: EntityManager, e: EngagementSnapshot, meta: EventMeta): Promise<void> {
    if (!isUuid(e.publicationId) || !isUuid(e.contentId) || !isUuid(e.departmentId)) return;
    await this.department(em, e.departmentId, meta.time);
    await em.query(
      `INSERT INTO engagement (publication_id, department_id, content_id, platform, impressions, reach, likes, shares,
                               comments, clicks, video_views, observed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (publication_id) DO UPDATE SET
         impressions = EXCLUDED.impressions, reach = EXCLUDED.reach, likes = EXCLUDED.likes,
         shares = EXCLUDED.shares, comments = EXCLUDED.comments, clicks = EXCLUDED.clicks,
         video_views = EXCLUDED.video_views, observed_at = EXCLUDED.observed_at
       WHERE EXCLUDED.observed_at > engagement.observed_at
          OR (EXCLUDED.observed_at = engagement.observed_at AND EXCLUDED.impressions > engagement.impressions)`,
      [
        e.publicationId,
        e.departmentId,
        e.contentId,
        platformName(e.platform),
        e.impressions,
        e.reach,
        e.likes,
        e.shares,
        e.comments,
        e.clicks,
        e.videoViews,
        tsOr(e.observedAt, meta.time),
      ],
    );
  }

  private async refreshPublicationDay(em: EntityManager, publicationId: string): Promise<void> {
    const rows: { department_id: string; published_at: Date | null }[] = await em.query(
      `SELECT department_id, published_at FROM publications WHERE publication_id = $1`,
      [publicationId],
    );
    const row = rows[0];
    if (row?.published_at) await this.refreshDays(em, row.department_id, [kolkataDate(row.published_at)]);
  }

  /** A content's kind or link became known: the days its publications went out are recomputed. */
  private async refreshContentDays(em: EntityManager, contentId: string): Promise<void> {
    const rows: { department_id: string; published_at: Date }[] = await em.query(
      `SELECT department_id, published_at FROM publications WHERE content_id = $1 AND published_at IS NOT NULL`,
      [contentId],
    );
    for (const r of rows) await this.refreshDays(em, r.department_id, [kolkataDate(r.published_at)]);
  }

  /** Recomputes a department's daily facts for some Asia/Kolkata days from the publications. */
  async refreshDays(em: EntityManager, departmentId: string, days: string[]): Promise<void> {
    for (const day of [...new Set(days)].sort()) {
      // Serialises concurrent refreshes of the same department-day (partitions run in parallel).
      await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`analytics:${departmentId}:${day}`]);
      await em.query(`DELETE FROM daily_facts WHERE department_id = $1 AND day = $2`, [departmentId, day]);
      const pr = this.prices;
      await em.query(
        `INSERT INTO daily_facts (department_id, day, kind, platform, published, cost)
         SELECT p.department_id, $2::date, COALESCE(c.kind, p.kind, 'UNKNOWN'), p.platform, count(*),
                sum(CASE p.platform
                      WHEN 'X' THEN CASE WHEN COALESCE(p.has_link, c.has_link, false) THEN $4::numeric ELSE $3::numeric END
                      WHEN 'FACEBOOK' THEN $5::numeric WHEN 'INSTAGRAM' THEN $6::numeric WHEN 'WHATSAPP' THEN $7::numeric
                      ELSE 0 END)
           FROM publications p LEFT JOIN contents c ON c.content_id = p.content_id
          WHERE p.department_id = $1 AND p.published_at IS NOT NULL
            AND (p.published_at AT TIME ZONE 'Asia/Kolkata')::date = $2::date
          GROUP BY p.department_id, COALESCE(c.kind, p.kind, 'UNKNOWN'), p.platform`,
        [departmentId, day, pr.xPost, pr.xLinkPost, pr.facebookPost, pr.instagramPost, pr.whatsappPost],
      );
    }
  }
}
