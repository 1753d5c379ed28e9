import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { fromJson, type JsonObject, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  BadInputError,
  canAccessDepartment,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  type Principal,
} from '@prasar/auth';
import {
  ChangesRequestedSchema,
  ContentApprovedSchema,
  ContentRejectedSchema,
  ContentSnapshotSchema,
  Decision as PbDecision,
  StageDecidedSchema,
  type ActorSchema,
} from '@prasar/contracts';
import { awaitPrerequisite, EventPublisher } from '@prasar/kafka';
import { asCaller } from '@prasar/persistence';
import { isUuid } from '../ids';
import { approvalTurnaround, turnaroundSeconds } from '../metrics';
import { Approval, ApprovalDecision, ApprovalStage, type DecisionKind } from './approval.entity';
import { MINUTE } from './approval.service';

/** Whether the caller may decide a stage of that role on content of that department. */
export function holdsStage(caller: Principal, role: string, departmentId: string): boolean {
  if (!(caller.roles as string[]).includes(role)) return false;
  // The IT cell decides for every department; every other role only for its own.
  return role === 'IT_CELL_ADMIN' || caller.departmentId === departmentId;
}

function actorOf(p: Principal): MessageInitShape<typeof ActorSchema> {
  return { subject: p.subject, name: p.name, roles: p.roles };
}

/** Approvers decide on the current stage of a content item's pending approval. */
@Injectable()
export class DecisionService {
  constructor(
    private readonly ds: DataSource,
    private readonly events: EventPublisher,
  ) {}

  /**
   * Records a decision on the current stage. The approval row is locked for the whole decision, so
   * concurrent approvers are counted one after another and one arriving after the stage passed
   * finds it passed (CONFLICT) instead of being counted.
   */
  async decide(
    caller: Principal,
    contentId: string,
    decision: DecisionKind,
    comment?: string | null,
    now = new Date(),
  ): Promise<Approval> {
    const text = comment?.trim() || null;
    if (decision === 'REJECT' && !text) {
      throw new BadInputError('A rejection needs a reason', [
        { field: 'comment', rule: 'REASON_REQUIRED', message: 'Say why the content is rejected' },
      ]);
    }
    if (decision === 'REQUEST_CHANGES' && !text) {
      throw new BadInputError('A change request needs a comment', [
        { field: 'comment', rule: 'COMMENT_REQUIRED', message: 'Say what should change' },
      ]);
    }
    if (!isUuid(contentId)) throw new NotFoundError('Content', contentId);

    // Read-your-writes: a decision right after the submission waits (bounded) for this service to
    // have consumed ContentSubmitted and opened the approval, instead of refusing the caller. It
    // waits only while there is nothing to decide yet: no approval of the content at all, or changes
    // were requested (a resubmission opens the next); a decided one answers CONFLICT at once.
    await awaitPrerequisite(() =>
      asCaller(this.ds, caller, async (em) => {
        const latest = await em.findOne(Approval, {
          where: { contentId },
          order: { openedAt: 'DESC' },
          select: { id: true, state: true },
        });
        return latest && latest.state !== 'CHANGES_REQUESTED' ? latest : null;
      }),
    );
    const result = await asCaller(this.ds, caller, async (em) => {
      const approval = await this.lockPending(em, caller, contentId);
      // The decision is taken once the approval is locked: never before it was opened (the
      // request's time may precede the commit of the submission it decides on).
      const at = now.getTime() < approval.openedAt.getTime() ? approval.openedAt : now;
      const stages = await em.find(ApprovalStage, {
        where: { approvalId: approval.id },
        order: { index: 'ASC' },
      });
      const stage = stages[approval.currentStage ?? -1];
      if (!stage) throw new Error(`approval ${approval.id} is pending without a current stage`);
      this.assertMayDecide(caller, approval, stage, stages);

      const earlier = await em.find(ApprovalDecision, {
        where: { approvalId: approval.id, stageIndex: stage.index },
        order: { seq: 'ASC' },
      });
      const approvers = new Set(earlier.filter((d) => d.decision === 'APPROVE').map((d) => d.decidedBy));
      if (decision === 'APPROVE' && approvers.has(caller.subject)) {
        throw new ConflictError('You have already approved this stage; it needs a different approver');
      }
      await em.insert(ApprovalDecision, {
        approvalId: approval.id,
        stageIndex: stage.index,
        departmentId: approval.departmentId,
        decidedBy: caller.subject,
        decidedByName: caller.name,
        decidedByRoles: caller.roles,
        decision,
        comment: text,
        decidedAt: at,
      });
      if (decision === 'APPROVE') approvers.add(caller.subject);

      const passed = decision === 'APPROVE' && approvers.size >= stage.requiredApprovals;
      const next = passed ? stages[stage.index + 1] : undefined;
      const nextDueAt = next ? new Date(at.getTime() + next.slaMinutes * MINUTE) : undefined;
      await this.applyOutcome(em, approval, stage, decision, passed, next, nextDueAt, at);

      await this.events.publish(em, {
        schema: StageDecidedSchema,
        message: {
          contentId: approval.contentId,
          departmentId: approval.departmentId,
          approvalId: approval.id,
          contentVersion: approval.contentVersion,
          stageIndex: stage.index,
          role: stage.role,
          decision: PbDecision[decision],
          actor: actorOf(caller),
          comment: text ?? '',
          approvals: approvers.size,
          requiredApprovals: stage.requiredApprovals,
          stagePassed: passed,
          nextStageIndex: next?.index,
          nextStageDueAt: nextDueAt ? timestampFromDate(nextDueAt) : undefined,
          decidedAt: timestampFromDate(at),
        },
      });
      await this.publishOutcome(em, approval, stage, decision, text, caller, at);
      return approval;
    });
    if (result.state !== 'PENDING') {
      approvalTurnaround.record(turnaroundSeconds(result.openedAt, result.closedAt ?? now), {
        outcome: result.state,
        priority: result.priority,
      });
    }
    return result;
  }

  /**
   * The content's pending approval, locked. Another department's content is invisible here (row-level
   * security and the check below), so it answers NOT_FOUND exactly like content that does not exist.
   */
  private async lockPending(em: EntityManager, caller: Principal, contentId: string): Promise<Approval> {
    const pending = await em.findOne(Approval, {
      where: { contentId, state: 'PENDING' },
      lock: { mode: 'pessimistic_write' },
    });
    if (pending && canAccessDepartment(caller, pending.departmentId)) return pending;
    const any = await em.findOne(Approval, { where: { contentId }, order: { openedAt: 'DESC' } });
    if (!any || !canAccessDepartment(caller, any.departmentId)) throw new NotFoundError('Content', contentId);
    throw new ConflictError(`Content ${contentId} has no pending approval (its approval is ${any.state})`);
  }

  private assertMayDecide(
    caller: Principal,
    approval: Approval,
    stage: ApprovalStage,
    stages: ApprovalStage[],
  ): void {
    if (
      caller.subject === approval.author ||
      caller.subject === approval.submittedBy ||
      approval.contributors.includes(caller.subject)
    ) {
      throw new ForbiddenError('Nobody decides on content they wrote (any version of it) or submitted');
    }
    if (holdsStage(caller, stage.role, approval.departmentId)) return;
    const passedOwn = stages.find(
      (s) =>
        s.index < stage.index && s.state === 'APPROVED' && holdsStage(caller, s.role, approval.departmentId),
    );
    if (passedOwn) {
      throw new ConflictError(
        `Stage ${passedOwn.index} (${passedOwn.role}) has already passed; the approval is now at stage ${stage.index} (${stage.role})`,
      );
    }
    throw new ForbiddenError(`The current stage is decided by ${stage.role}`);
  }

  /** Moves the stage and the approval on after a decision (the caller holds the approval's lock). */
  private async applyOutcome(
    em: EntityManager,
    approval: Approval,
    stage: ApprovalStage,
    decision: DecisionKind,
    passed: boolean,
    next: ApprovalStage | undefined,
    nextDueAt: Date | undefined,
    now: Date,
  ): Promise<void> {
    if (decision === 'APPROVE' && !passed) return;
    const stageState =
      decision === 'APPROVE' ? 'APPROVED' : decision === 'REJECT' ? 'REJECTED' : 'CHANGES_REQUESTED';
    await em.update(
      ApprovalStage,
      { approvalId: approval.id, index: stage.index },
      { state: stageState, completedAt: now },
    );
    if (next && nextDueAt) {
      await em.update(ApprovalStage, { approvalId: approval.id, index: next.index }, { dueAt: nextDueAt });
      await em.update(Approval, { id: approval.id }, { currentStage: next.index });
      approval.currentStage = next.index;
      return;
    }
    // The last stage passed, or the approval ended early: stages never reached are cancelled.
    await em.update(
      ApprovalStage,
      { approvalId: approval.id, state: 'PENDING' },
      { state: 'CANCELLED', completedAt: now },
    );
    await em.update(Approval, { id: approval.id }, { state: stageState, currentStage: null, closedAt: now });
    Object.assign(approval, { state: stageState, currentStage: null, closedAt: now });
  }

  /** The event that tells the rest of the platform how the approval ended, when it did. */
  private async publishOutcome(
    em: EntityManager,
    approval: Approval,
    stage: ApprovalStage,
    decision: DecisionKind,
    text: string | null,
    caller: Principal,
    now: Date,
  ): Promise<void> {
    const ids = {
      contentId: approval.contentId,
      departmentId: approval.departmentId,
      approvalId: approval.id,
      contentVersion: approval.contentVersion,
    };
    if (approval.state === 'APPROVED') {
      const approvals = await em.find(ApprovalDecision, {
        where: { approvalId: approval.id, decision: 'APPROVE' },
        order: { seq: 'ASC' },
      });
      await this.events.publish(em, {
        schema: ContentApprovedSchema,
        message: {
          ...ids,
          snapshot: approval.snapshot
            ? fromJson(ContentSnapshotSchema, approval.snapshot as JsonObject)
            : undefined,
          approvers: approvals.map((d) => ({
            subject: d.decidedBy,
            name: d.decidedByName,
            roles: d.decidedByRoles,
          })),
          approvedAt: timestampFromDate(now),
        },
      });
    } else if (decision === 'REJECT') {
      await this.events.publish(em, {
        schema: ContentRejectedSchema,
        message: { ...ids, stageIndex: stage.index, actor: actorOf(caller), reason: text ?? '' },
      });
    } else if (decision === 'REQUEST_CHANGES') {
      await this.events.publish(em, {
        schema: ChangesRequestedSchema,
        message: { ...ids, stageIndex: stage.index, actor: actorOf(caller), comment: text ?? '' },
      });
    }
  }
}
