import { Injectable } from '@nestjs/common';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import {
  Platform as PbPlatform,
  type AccountNeedsReauth,
  type ApprovalEscalated,
  type ApprovalOpened,
  type BlackoutDeclared,
  type BlackoutEnded,
  type PublicationFailed,
  type StageDecided,
} from '@prasar/contracts';
import type { EntityManager } from '@prasar/persistence';
import * as msg from './messages';
import { IT_CELL, NotificationsService, isUuid } from './notifications.service';

const tsOr = (t: Timestamp | undefined, fallback: Date): Date => (t ? timestampDate(t) : fallback);
const platformName = (p: PbPlatform) => PbPlatform[p] ?? 'UNSPECIFIED';

/** Share of a stage's SLA after which its approvers are reminded (80 %). */
export const SLA_NEAR_FRACTION = 0.8;

/**
 * The events people are told about, turned into notifications in the transaction that records
 * each event in the inbox (the consumer's manager), plus the facts the clock watches (blackout
 * windows, open approval stages), kept by keyed upserts so a redelivery changes nothing.
 */
@Injectable()
export class NotifyEvents {
  constructor(private readonly notifications: NotificationsService) {}

  /** A target failed for good (a retryable failure is requested again, and is not news yet). */
  async publicationFailed(em: EntityManager, e: PublicationFailed, eventId: string): Promise<void> {
    if (!e.permanent || !isUuid(e.departmentId)) return;
    await this.notifications.notify(em, {
      key: `publication-failed:${e.publicationId || eventId}`,
      kind: 'PUBLICATION_FAILED',
      departmentId: e.departmentId,
      email: true,
      message: msg.publicationFailed({
        platform: platformName(e.platform),
        contentId: e.contentId,
        publicationId: e.publicationId,
        reason: e.reason,
      }),
      about: { contentId: e.contentId, publicationId: e.publicationId, accountId: e.accountId },
    });
  }

  async accountNeedsReauth(em: EntityManager, e: AccountNeedsReauth, eventId: string): Promise<void> {
    if (!isUuid(e.departmentId)) return;
    await this.notifications.notify(em, {
      key: `account-reauth:${eventId}`,
      kind: 'ACCOUNT_NEEDS_REAUTH',
      departmentId: e.departmentId,
      email: true,
      message: msg.accountNeedsReauth({
        platform: platformName(e.platform),
        handle: e.handle,
        reason: e.reason,
      }),
      about: { accountId: e.accountId },
    });
  }

  /**
   * A stage passed its SLA: its approvers are told (in the console, and by mail to the department's
   * contacts), escalated to the department admin and to the IT cell (console and the IT cell's mail).
   */
  async approvalEscalated(em: EntityManager, e: ApprovalEscalated, at: Date): Promise<void> {
    if (!isUuid(e.departmentId) || !isUuid(e.approvalId)) return;
    const key = `approval-sla-passed:${e.approvalId}:${e.stageIndex}`;
    const message = msg.approvalSla(
      { contentId: e.contentId, role: e.role, dueAt: tsOr(e.dueAt, at), stageIndex: e.stageIndex },
      true,
    );
    const about = { contentId: e.contentId, approvalId: e.approvalId, stageIndex: e.stageIndex };
    const kind = 'APPROVAL_SLA_PASSED' as const;
    const approversAreItCell = e.role === 'IT_CELL_ADMIN';
    await this.notifications.notify(em, {
      key,
      kind,
      departmentId: approversAreItCell ? IT_CELL : e.departmentId,
      role: approversAreItCell ? undefined : e.role,
      email: true,
      message,
      about,
    });
    if (!approversAreItCell) {
      await this.notifications.notify(em, {
        key,
        kind,
        departmentId: e.departmentId,
        role: 'DEPT_ADMIN',
        email: false, // the department's contacts already have the approvers' mail
        message,
        about,
      });
      await this.notifications.notify(em, { key, kind, departmentId: IT_CELL, email: true, message, about });
    }
    await em.query(
      `UPDATE approval_stage_watch SET closed = true WHERE approval_id = $1 AND stage_index = $2`,
      [e.approvalId, e.stageIndex],
    );
  }

  /** The stages of a new approval; the first is active with its due time. */
  async approvalOpened(em: EntityManager, e: ApprovalOpened, at: Date): Promise<void> {
    if (!isUuid(e.approvalId) || !isUuid(e.departmentId) || !isUuid(e.contentId)) return;
    const opened = tsOr(e.openedAt, at);
    for (const [i, s] of e.stages.entries()) {
      await em.query(
        `INSERT INTO approval_stage_watch (approval_id, stage_index, department_id, content_id, role, opened_at, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (approval_id, stage_index) DO UPDATE
           SET opened_at = COALESCE(approval_stage_watch.opened_at, EXCLUDED.opened_at),
               due_at = COALESCE(approval_stage_watch.due_at, EXCLUDED.due_at)`,
        [
          e.approvalId,
          i,
          e.departmentId,
          e.contentId,
          s.role,
          i === 0 ? opened : null,
          s.dueAt ? timestampDate(s.dueAt) : null,
        ],
      );
    }
  }

  /** A stage passed: it is no longer watched; the next becomes active with its due time. */
  async stageDecided(em: EntityManager, e: StageDecided, at: Date): Promise<void> {
    if (!e.stagePassed || !isUuid(e.approvalId) || !isUuid(e.departmentId) || !isUuid(e.contentId)) return;
    await em.query(
      `UPDATE approval_stage_watch SET closed = true WHERE approval_id = $1 AND stage_index = $2`,
      [e.approvalId, e.stageIndex],
    );
    if (e.nextStageIndex !== undefined && e.nextStageDueAt) {
      await em.query(
        `INSERT INTO approval_stage_watch (approval_id, stage_index, department_id, content_id, role, opened_at, due_at)
         VALUES ($1, $2, $3, $4, '', $5, $6)
         ON CONFLICT (approval_id, stage_index) DO UPDATE SET opened_at = $5, due_at = $6`,
        [
          e.approvalId,
          e.nextStageIndex,
          e.departmentId,
          e.contentId,
          tsOr(e.decidedAt, at),
          timestampDate(e.nextStageDueAt),
        ],
      );
    }
  }

  /** Approved, rejected, sent back or cancelled: nothing of the approval is awaited any more. */
  async approvalClosed(em: EntityManager, approvalId: string): Promise<void> {
    if (!isUuid(approvalId)) return;
    await em.query(`UPDATE approval_stage_watch SET closed = true WHERE approval_id = $1`, [approvalId]);
  }

  /** A window is recorded; if it already holds, everyone is told now (else the clock tells them). */
  async blackoutDeclared(em: EntityManager, e: BlackoutDeclared, at: Date): Promise<void> {
    if (!isUuid(e.blackoutId) || !e.startsAt || !e.endsAt) return;
    await em.query(
      `INSERT INTO blackout_windows (blackout_id, regions, reason, starts_at, ends_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (blackout_id) DO UPDATE SET regions = $2, reason = $3, starts_at = $4, ends_at = $5`,
      [e.blackoutId, [...e.regions], e.reason, timestampDate(e.startsAt), timestampDate(e.endsAt)],
    );
    // A window already over (an old event read again into a fresh database) is no news.
    if (timestampDate(e.startsAt) <= at && timestampDate(e.endsAt) > at) {
      await this.blackoutNews(em, e.blackoutId, true);
    }
  }

  async blackoutEnded(em: EntityManager, e: BlackoutEnded, at: Date): Promise<void> {
    if (!isUuid(e.blackoutId)) return;
    const updated: unknown[] = await em.query(
      `UPDATE blackout_windows SET ended_at = COALESCE(ended_at, $2) WHERE blackout_id = $1 RETURNING 1`,
      [e.blackoutId, tsOr(e.endedAt, at)],
    );
    if (updated.length) await this.blackoutNews(em, e.blackoutId, false);
  }

  /** A window's start or end, told to the IT cell and every department (once each). */
  async blackoutNews(em: EntityManager, blackoutId: string, started: boolean): Promise<void> {
    const [w]: {
      regions: string[];
      reason: string;
      starts_at: Date;
      ends_at: Date;
      ended_at: Date | null;
    }[] = await em.query(`SELECT * FROM blackout_windows WHERE blackout_id = $1`, [blackoutId]);
    if (!w) return;
    const message = msg.blackout(
      { regions: w.regions, reason: w.reason, startsAt: w.starts_at, endsAt: w.ended_at ?? w.ends_at },
      started,
    );
    const key = `blackout-${started ? 'started' : 'ended'}:${blackoutId}`;
    const kind = started ? ('BLACKOUT_STARTED' as const) : ('BLACKOUT_ENDED' as const);
    for (const departmentId of [IT_CELL, ...(await this.notifications.knownDepartments(em))]) {
      await this.notifications.notify(em, {
        key,
        kind,
        departmentId,
        email: true,
        message,
        about: { blackoutId, regions: w.regions },
      });
    }
  }
}
