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
  type AuditEntryRecorded,
  type DepartmentCreated,
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
import { deferredIn } from '@prasar/kafka';
import { PRICE_LIST, type PriceList } from '../pricing';
import { ReadModelWrites, type ReadModelBatch } from './read-model-writes';

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
 * Applies events to the read models. Each event adds keyed rows to its transaction's batch
 * (`ReadModelWrites`), written as one statement per table before the transaction commits: keyed
 * upserts and per-event-id inserts, with derived rows (daily facts) recomputed from base rows, so
 * redelivery and replay from the start of the topics change nothing, and the order events arrive
 * in, across topics or within a batch, does not matter.
 */
@Injectable()
export class IngestService {
  private readonly writes: ReadModelWrites;

  constructor(@Inject(PRICE_LIST) prices: PriceList) {
    this.writes = new ReadModelWrites(prices);
  }

  /** The transaction's batch of writes. */
  private batch(em: EntityManager): ReadModelBatch {
    return deferredIn(em, this.writes);
  }

  private department(em: EntityManager, departmentId: string, at: Date): void {
    if (isUuid(departmentId)) this.batch(em).department(departmentId, at);
  }

  /** A version of the content (created, edited or submitted): the content row and the version record. */
  private version(
    em: EntityManager,
    ids: { contentId: string; departmentId: string },
    s: ContentSnapshot,
    actor: string,
    at: Date,
  ): void {
    if (!isUuid(ids.contentId) || !isUuid(ids.departmentId)) return;
    const b = this.batch(em);
    const kind = ContentKind[s.kind];
    b.content({
      content_id: ids.contentId,
      department_id: ids.departmentId,
      kind,
      priority: Priority[s.priority] ?? 'NORMAL',
      title: s.title,
      has_link: !!s.link,
      version: s.version,
      created_by: actorOf(s.createdBy),
      created_at: tsOr(s.createdAt, at),
      updated_at: at,
    });
    b.version({
      content_id: ids.contentId,
      version: s.version,
      department_id: ids.departmentId,
      kind,
      title: s.title,
      body: s.body.map((x) => ({ language: x.language, text: x.text })),
      hashtags: [...s.hashtags],
      link: s.link ?? null,
      actor,
      at,
    });
    // The content's kind or link may have changed: the days its publications went out are recomputed.
    b.dayContents.add(ids.contentId);
  }

  async contentCreated(em: EntityManager, e: ContentCreated, meta: EventMeta): Promise<void> {
    this.department(em, e.departmentId, meta.time);
    if (e.snapshot) this.version(em, e, e.snapshot, actorOf(e.actor), meta.time);
  }

  /** A new department: listed from now on (the state overview counts it missing until it publishes). */
  async departmentCreated(em: EntityManager, e: DepartmentCreated, meta: EventMeta): Promise<void> {
    this.department(em, e.departmentId, tsOr(e.createdAt, meta.time));
  }

  /** Intake's audit entry, as recorded (its hashes included), for the records export; once per entry. */
  async auditEntryRecorded(em: EntityManager, e: AuditEntryRecorded): Promise<void> {
    if (!isUuid(e.contentId) || !isUuid(e.departmentId) || !e.at || !e.hash) return;
    await em.query(
      `INSERT INTO audit_entries (content_id, seq, department_id, at, actor, action, from_status, to_status,
                                  note, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (content_id, seq) DO NOTHING`,
      [
        e.contentId,
        e.seq.toString(),
        e.departmentId,
        timestampDate(e.at),
        e.actor,
        e.action,
        e.fromStatus || null,
        e.toStatus || null,
        e.note || null,
        e.prevHash,
        e.hash,
      ],
    );
  }

  async contentUpdated(em: EntityManager, e: ContentUpdated, meta: EventMeta): Promise<void> {
    this.department(em, e.departmentId, meta.time);
    if (e.snapshot) this.version(em, e, e.snapshot, actorOf(e.actor), meta.time);
  }

  async contentSubmitted(em: EntityManager, e: ContentSubmitted, meta: EventMeta): Promise<void> {
    if (!isUuid(e.contentId) || !isUuid(e.departmentId)) return;
    this.department(em, e.departmentId, meta.time);
    if (e.snapshot) this.version(em, e, e.snapshot, actorOf(e.actor), meta.time);
    this.batch(em).submission({
      content_id: e.contentId,
      submitted_at: tsOr(e.submittedAt, meta.time),
      department_id: e.departmentId,
      version: e.snapshot?.version ?? 0,
    });
  }

  async contentWithdrawn(em: EntityManager, e: ContentWithdrawn, meta: EventMeta): Promise<void> {
    this.decision(em, meta, {
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
    this.decision(em, meta, {
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
    this.decision(em, meta, {
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
    if (e.snapshot) this.version(em, e, e.snapshot, actorOf(e.snapshot.createdBy), meta.time);
    this.decision(em, meta, {
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
    this.decision(em, meta, {
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

  private decision(
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
  ): void {
    if (!isUuid(d.contentId) || !isUuid(d.departmentId)) return;
    this.department(em, d.departmentId, d.at);
    this.batch(em).decision({
      event_id: meta.id,
      content_id: d.contentId,
      department_id: d.departmentId,
      version: d.version,
      stage_index: d.stageIndex,
      decision: d.decision,
      final: d.final,
      actor: d.actor,
      comment: d.comment,
      decided_at: d.at,
    });
  }

  /** An overdue approval stage: one SLA breach per approval and stage. */
  async approvalEscalated(em: EntityManager, e: ApprovalEscalated, meta: EventMeta): Promise<void> {
    if (!isUuid(e.approvalId) || !isUuid(e.contentId) || !isUuid(e.departmentId)) return;
    this.department(em, e.departmentId, meta.time);
    this.batch(em).breach({
      approval_id: e.approvalId,
      stage_index: e.stageIndex,
      department_id: e.departmentId,
      content_id: e.contentId,
      role: e.role,
      priority: Priority[e.priority] ?? 'NORMAL',
      due_at: tsOr(e.dueAt, meta.time),
    });
  }

  private publication(
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
  ): boolean {
    if (!isUuid(p.publicationId) || !isUuid(p.contentId) || !isUuid(p.departmentId)) return false;
    this.batch(em).publication({
      publication_id: p.publicationId,
      department_id: p.departmentId,
      content_id: p.contentId,
      account_id: p.accountId,
      platform: platformName(p.platform),
      kind: p.kind ?? null,
      has_link: p.hasLink ?? null,
      content_version: p.contentVersion ?? null,
      state: p.state ?? null,
      scheduled_at: p.scheduledAt ?? null,
    });
    return true;
  }

  async publicationScheduled(em: EntityManager, e: PublicationScheduled, meta: EventMeta): Promise<void> {
    this.department(em, e.departmentId, meta.time);
    this.publication(em, { ...e, scheduledAt: tsOr(e.scheduledAt, meta.time) });
  }

  async publishRequested(em: EntityManager, e: PublishRequested, meta: EventMeta): Promise<void> {
    this.department(em, e.departmentId, meta.time);
    const written = this.publication(em, {
      ...e,
      kind: e.snapshot ? ContentKind[e.snapshot.kind] : null,
      hasLink: e.snapshot ? !!e.snapshot.link : null,
      scheduledAt: tsOr(e.scheduledAt, meta.time),
    });
    if (written) this.batch(em).dayPublications.add(e.publicationId);
  }

  async publicationCancelled(em: EntityManager, e: PublicationCancelled, meta: EventMeta): Promise<void> {
    this.department(em, e.departmentId, meta.time);
    this.publication(em, { ...e, state: 'CANCELLED' });
  }

  async publicationFailed(em: EntityManager, e: PublicationFailed, meta: EventMeta): Promise<void> {
    this.department(em, e.departmentId, meta.time);
    this.publication(em, { ...e, state: e.permanent ? 'FAILED' : null });
  }

  async publicationPublished(em: EntityManager, e: PublicationPublished, meta: EventMeta): Promise<void> {
    if (!isUuid(e.publicationId) || !isUuid(e.contentId) || !isUuid(e.departmentId)) return;
    this.department(em, e.departmentId, meta.time);
    this.publication(em, e);
    const b = this.batch(em);
    b.markPublished({
      publication_id: e.publicationId,
      published_at: tsOr(e.publishedAt, meta.time),
      external_id: e.externalId || null,
      url: e.url || null,
    });
    b.dayPublications.add(e.publicationId);
  }

  /** The latest cumulative counts of a publication win; an older snapshot arriving late changes nothing. */
  async engagementSnapshot(em: EntityManager, e: EngagementSnapshot, meta: EventMeta): Promise<void> {
    if (!isUuid(e.publicationId) || !isUuid(e.contentId) || !isUuid(e.departmentId)) return;
    this.department(em, e.departmentId, meta.time);
    this.batch(em).engagementSnapshot({
      publication_id: e.publicationId,
      department_id: e.departmentId,
      content_id: e.contentId,
      platform: platformName(e.platform),
      impressions: Number(e.impressions),
      reach: Number(e.reach),
      likes: Number(e.likes),
      shares: Number(e.shares),
      comments: Number(e.comments),
      clicks: Number(e.clicks),
      video_views: Number(e.videoViews),
      observed_at: tsOr(e.observedAt, meta.time),
    });
  }
}
