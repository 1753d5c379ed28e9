import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { toJson, type MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { canAccessDepartment, type Principal } from '@prasar/auth';
import {
  ApprovalCancelledSchema,
  ApprovalOpenedSchema,
  CancelReason,
  ContentKind,
  ContentSnapshotSchema,
  Priority,
  type ActorSchema,
  type ContentSubmitted,
  type ContentWithdrawn,
} from '@prasar/contracts';
import { EventPublisher } from '@prasar/kafka';
import { asCaller } from '@prasar/persistence';
import { isUuid } from '../ids';
import { WorkflowService } from '../workflow/workflow.service';
import { stagesFor } from '../workflow/workflow.rules';
import { Approval, ApprovalDecision, ApprovalStage } from './approval.entity';

export const MINUTE = 60_000;

/** A stage as the API shows it: with the decisions taken on it. */
export type StageWithDecisions = ApprovalStage & { decisions: ApprovalDecision[] };

/** Opens, cancels and reads approvals; decisions are DecisionService's. */
@Injectable()
export class ApprovalService {
  constructor(
    private readonly ds: DataSource,
    private readonly events: EventPublisher,
    private readonly workflows: WorkflowService,
  ) {}

  /**
   * A submission opens a pending approval on that version with the department's workflow plus the
   * stages the content demands; a pending approval of an earlier version is cancelled as superseded
   * (resubmission restarts the workflow). Runs in the event handler's (platform) transaction.
   */
  async open(em: EntityManager, submitted: ContentSubmitted, now = new Date()): Promise<Approval | null> {
    const snapshot = submitted.snapshot;
    if (!snapshot) throw new Error('ContentSubmitted without a snapshot');
    const existing = await em.findOneBy(Approval, {
      contentId: submitted.contentId,
      contentVersion: snapshot.version,
      state: In(['PENDING', 'APPROVED', 'REJECTED']),
    });
    if (existing) return null;

    await this.cancelPending(em, submitted.contentId, CancelReason.SUPERSEDED, submitted.actor, now);

    const definitions = stagesFor(snapshot, await this.workflows.forDepartment(em, submitted.departmentId));
    const approval = em.create(Approval, {
      id: randomUUID(),
      contentId: submitted.contentId,
      departmentId: submitted.departmentId,
      contentVersion: snapshot.version,
      state: 'PENDING',
      currentStage: 0,
      contentKind: ContentKind[snapshot.kind],
      priority: snapshot.priority === Priority.URGENT ? 'URGENT' : 'NORMAL',
      author: snapshot.createdBy?.subject ?? '',
      submittedBy: submitted.actor?.subject ?? '',
      contributors: [...new Set(submitted.contributors.filter(Boolean))],
      snapshot: toJson(ContentSnapshotSchema, snapshot) as object,
      openedAt: now,
      closedAt: null,
    });
    await em.insert(Approval, approval);
    // Later stages get a provisional due time (as if each earlier stage used its full SLA); it is
    // reset when the stage becomes current.
    let due = now.getTime();
    const stages = definitions.map((d, index) => {
      due += d.slaMinutes * MINUTE;
      return em.create(ApprovalStage, {
        approvalId: approval.id,
        index,
        departmentId: approval.departmentId,
        role: d.role,
        requiredApprovals: d.requiredApprovals,
        state: 'PENDING',
        slaMinutes: d.slaMinutes,
        dueAt: new Date(due),
        escalatedAt: null,
        completedAt: null,
      });
    });
    await em.insert(ApprovalStage, stages);
    await this.events.publish(em, {
      schema: ApprovalOpenedSchema,
      message: {
        contentId: approval.contentId,
        departmentId: approval.departmentId,
        approvalId: approval.id,
        contentVersion: approval.contentVersion,
        stages: stages.map((s) => ({
          role: s.role,
          requiredApprovals: s.requiredApprovals,
          sla: durationFromMs(s.slaMinutes * MINUTE),
          // The contract: only the active stage has a due time.
          dueAt: s.index === 0 ? timestampFromDate(s.dueAt as Date) : undefined,
        })),
        openedAt: timestampFromDate(now),
      },
    });
    return approval;
  }

  /** A withdrawn content item needs no decision any more: its pending approval is cancelled. */
  async withdraw(em: EntityManager, withdrawn: ContentWithdrawn, now = new Date()): Promise<Approval[]> {
    return this.cancelPending(em, withdrawn.contentId, CancelReason.WITHDRAWN, withdrawn.actor, now);
  }

  private async cancelPending(
    em: EntityManager,
    contentId: string,
    reason: CancelReason,
    actor: MessageInitShape<typeof ActorSchema> | undefined,
    now: Date,
  ): Promise<Approval[]> {
    const pending = await em.find(Approval, {
      where: { contentId, state: 'PENDING' },
      lock: { mode: 'pessimistic_write' },
    });
    for (const previous of pending) {
      await em.update(
        Approval,
        { id: previous.id },
        { state: 'CANCELLED', closedAt: now, currentStage: null },
      );
      await em.update(
        ApprovalStage,
        { approvalId: previous.id, state: 'PENDING' },
        { state: 'CANCELLED', completedAt: now },
      );
      await this.events.publish(em, {
        schema: ApprovalCancelledSchema,
        message: {
          contentId: previous.contentId,
          departmentId: previous.departmentId,
          approvalId: previous.id,
          contentVersion: previous.contentVersion,
          reason,
          actor,
        },
      });
    }
    return pending;
  }

  /** The latest approval of a content item, if the caller may see its department. */
  async latestFor(caller: Principal, contentId: string): Promise<Approval | null> {
    return (await this.latestForMany(caller, [contentId])).get(contentId) ?? null;
  }

  /** The latest approval of each content the caller may see (one query for all of them). */
  async latestForMany(caller: Principal, contentIds: string[]): Promise<Map<string, Approval>> {
    const ids = [...new Set(contentIds.filter(isUuid))];
    if (ids.length === 0) return new Map();
    const approvals = await asCaller(this.ds, caller, (em) =>
      em
        .createQueryBuilder(Approval, 'a')
        .distinctOn(['a.contentId'])
        .where('a.contentId IN (:...ids)', { ids })
        .orderBy('a.contentId')
        .addOrderBy('a.openedAt', 'DESC')
        .getMany(),
    );
    return new Map(
      approvals
        .filter((a) => canAccessDepartment(caller, a.departmentId))
        .map((a) => [a.contentId, a] as const),
    );
  }

  /** An approval's stages in order, each with its decisions in the order they were taken. */
  stages(caller: Principal, approvalId: string): Promise<StageWithDecisions[]> {
    return asCaller(this.ds, caller, async (em) => {
      const stages = await em.find(ApprovalStage, { where: { approvalId }, order: { index: 'ASC' } });
      const decisions = await em.find(ApprovalDecision, { where: { approvalId }, order: { seq: 'ASC' } });
      return stages.map((s) => ({ ...s, decisions: decisions.filter((d) => d.stageIndex === s.index) }));
    });
  }
}
