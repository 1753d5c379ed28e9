import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ApprovalState = 'PENDING' | 'APPROVED' | 'REJECTED' | 'CHANGES_REQUESTED' | 'CANCELLED';

/** One run of a department's workflow over one version of a content item. */
@Entity('approvals')
export class Approval {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'uuid', name: 'content_id' }) contentId!: string;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column({ type: 'int', name: 'content_version' }) contentVersion!: number;
  @Column('text') state!: ApprovalState;
  @Column({ type: 'int', name: 'current_stage', nullable: true }) currentStage!: number | null;
  @Column({ type: 'text', name: 'content_kind' }) contentKind!: string;
  @Column({ type: 'text', name: 'submitted_by' }) submittedBy!: string;
  @Column({ type: 'timestamptz', name: 'opened_at' }) openedAt!: Date;
  @Column({ type: 'timestamptz', name: 'closed_at', nullable: true }) closedAt!: Date | null;
}

/** A stage of an approval: which role decides, how many distinct approvers, by when. */
@Entity('approval_stages')
export class ApprovalStage {
  @PrimaryColumn({ type: 'uuid', name: 'approval_id' }) approvalId!: string;
  @PrimaryColumn('int') index!: number;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column('text') role!: string;
  @Column({ type: 'int', name: 'required_approvals' }) requiredApprovals!: number;
  @Column('text') state!: ApprovalState;
  @Column({ type: 'int', name: 'sla_minutes' }) slaMinutes!: number;
  @Column({ type: 'timestamptz', name: 'due_at', nullable: true }) dueAt!: Date | null;
}
