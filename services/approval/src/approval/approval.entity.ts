import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type ApprovalState = 'PENDING' | 'APPROVED' | 'REJECTED' | 'CHANGES_REQUESTED' | 'CANCELLED';
export type DecisionKind = 'APPROVE' | 'REJECT' | 'REQUEST_CHANGES';
export type PriorityName = 'NORMAL' | 'URGENT';

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
  @Column('text') priority!: PriorityName;
  /** Who created the content item (snapshot.created_by): never one of its approvers. */
  @Column('text') author!: string;
  /** Who submitted this version: never one of its approvers either. */
  @Column({ type: 'text', name: 'submitted_by' }) submittedBy!: string;
  /** Everyone who wrote any version of the content (ContentSubmitted.contributors): never approvers. */
  @Column('text', { array: true }) contributors!: string[];
  /** The submitted ContentSnapshot in protobuf JSON; null only for approvals opened before it was kept. */
  @Column({ type: 'jsonb', nullable: true }) snapshot!: object | null;
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
  /** Provisional for a stage not yet reached; restarts from the moment the stage becomes current. */
  @Column({ type: 'timestamptz', name: 'due_at', nullable: true }) dueAt!: Date | null;
  /** When the overdue stage was escalated (once). */
  @Column({ type: 'timestamptz', name: 'escalated_at', nullable: true }) escalatedAt!: Date | null;
  /** When the stage passed, or ended with a rejection or a change request. */
  @Column({ type: 'timestamptz', name: 'completed_at', nullable: true }) completedAt!: Date | null;
}

/** One person's decision on one stage (append-only: a government record). */
@Entity('approval_decisions')
export class ApprovalDecision {
  @PrimaryGeneratedColumn({ type: 'bigint' }) seq!: string;
  @Column({ type: 'uuid', name: 'approval_id' }) approvalId!: string;
  @Column({ type: 'int', name: 'stage_index' }) stageIndex!: number;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column({ type: 'text', name: 'decided_by' }) decidedBy!: string;
  @Column({ type: 'text', name: 'decided_by_name' }) decidedByName!: string;
  @Column({ type: 'text', array: true, name: 'decided_by_roles' }) decidedByRoles!: string[];
  @Column('text') decision!: DecisionKind;
  @Column({ type: 'text', nullable: true }) comment!: string | null;
  @Column({ type: 'timestamptz', name: 'decided_at' }) decidedAt!: Date;
}
