import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { durationFromMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { canAccessDepartment, type Principal } from '@prasar/auth';
import {
  ApprovalCancelledSchema,
  ApprovalOpenedSchema,
  CancelReason,
  ContentKind,
  type ContentSubmitted,
} from '@prasar/contracts';
import { EventPublisher } from '@prasar/kafka';
import { Approval, ApprovalStage } from './approval.entity';
import { stagesFor } from './workflow.rules';

const MINUTE = 60_000;

@Injectable()
export class ApprovalService {
  constructor(
    private readonly ds: DataSource,
    private readonly events: EventPublisher,
  ) {}

  /**
   * A submission opens a pending approval on that version; an open approval of an earlier
   * version is cancelled as superseded (resubmission restarts the workflow).
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

    const open = await em.find(Approval, {
      where: { contentId: submitted.contentId, state: In(['PENDING', 'CHANGES_REQUESTED']) },
      lock: { mode: 'pessimistic_write' },
    });
    for (const previous of open) {
      await em.update(
        Approval,
        { id: previous.id },
        { state: 'CANCELLED', closedAt: now, currentStage: null },
      );
      await em.update(ApprovalStage, { approvalId: previous.id, state: 'PENDING' }, { state: 'CANCELLED' });
      await this.events.publish(em, {
        schema: ApprovalCancelledSchema,
        message: {
          contentId: previous.contentId,
          departmentId: previous.departmentId,
          approvalId: previous.id,
          contentVersion: previous.contentVersion,
          reason: CancelReason.SUPERSEDED,
          actor: submitted.actor,
        },
      });
    }

    const definitions = stagesFor(snapshot);
    const approval = em.create(Approval, {
      id: randomUUID(),
      contentId: submitted.contentId,
      departmentId: submitted.departmentId,
      contentVersion: snapshot.version,
      state: 'PENDING',
      currentStage: 0,
      contentKind: ContentKind[snapshot.kind],
      submittedBy: submitted.actor?.subject ?? '',
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
          dueAt: timestampFromDate(s.dueAt as Date),
        })),
        openedAt: timestampFromDate(now),
      },
    });
    return approval;
  }

  /** The latest approval of a content item, if the caller may see its department. */
  async latestFor(caller: Principal, contentId: string): Promise<Approval | null> {
    const approval = await this.ds
      .getRepository(Approval)
      .findOne({ where: { contentId }, order: { openedAt: 'DESC' } });
    return approval && canAccessDepartment(caller, approval.departmentId) ? approval : null;
  }

  stages(approvalId: string): Promise<ApprovalStage[]> {
    return this.ds.getRepository(ApprovalStage).find({ where: { approvalId }, order: { index: 'ASC' } });
  }
}
