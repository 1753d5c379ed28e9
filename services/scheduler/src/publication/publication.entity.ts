import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Platform } from './pacing';

export type PublicationState = 'SCHEDULED' | 'HELD' | 'PUBLISHING' | 'PUBLISHED' | 'FAILED' | 'CANCELLED';
export type HoldReason = 'BLACKOUT' | 'DESIRED_TIME_PASSED' | 'ACCOUNT_NEEDS_REAUTH';

/** One content version going to one account at one time: published exactly once, or not at all. */
@Entity('publications')
export class Publication {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'uuid', name: 'content_id' }) contentId!: string;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column({ type: 'text', name: 'account_id' }) accountId!: string;
  @Column('text') platform!: Platform;
  @Column({ type: 'int', name: 'content_version' }) contentVersion!: number;
  @Column('text') state!: PublicationState;
  @Column({ type: 'timestamptz', name: 'scheduled_at' }) scheduledAt!: Date;
  @Column({ type: 'text', name: 'hold_reason', nullable: true }) holdReason!: HoldReason | null;
  @Column({ type: 'text', name: 'held_detail', nullable: true }) heldDetail!: string | null;
  @Column({ type: 'uuid', name: 'blackout_id', nullable: true }) blackoutId!: string | null;
  @Column({ type: 'int' }) dispatches!: number;
  @Column({ type: 'timestamptz', name: 'published_at', nullable: true }) publishedAt!: Date | null;
  @Column({ type: 'text', name: 'external_id', nullable: true }) externalId!: string | null;
  @Column({ type: 'text', nullable: true }) url!: string | null;
  @Column({ type: 'int' }) attempts!: number;
  @Column({ type: 'text', name: 'last_error', nullable: true }) lastError!: string | null;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}

/** An approved content version, as the approval service announced it: what can be scheduled. */
@Entity('approved_contents')
export class ApprovedContent {
  @PrimaryColumn({ type: 'uuid', name: 'content_id' }) contentId!: string;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column({ type: 'int' }) version!: number;
  @Column('text') kind!: string;
  @Column('text') priority!: string;
  @Column({ type: 'timestamptz', name: 'desired_publish_at', nullable: true }) desiredPublishAt!: Date | null;
  @Column('text', { array: true, name: 'target_account_ids' }) targetAccountIds!: string[];
  /** The ContentSnapshot (protobuf) the publisher receives with each PublishRequested. */
  @Column('bytea') snapshot!: Buffer;
  @Column({ type: 'boolean' }) withdrawn!: boolean;
  @Column({ type: 'timestamptz', name: 'approved_at' }) approvedAt!: Date;
}

/** A department's account, as the publisher announced it, with its pacing. */
@Entity('accounts')
export class Account {
  @PrimaryColumn('text') id!: string;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column('text') platform!: Platform;
  @Column('text') handle!: string;
  @Column('text') status!: 'ACTIVE' | 'NEEDS_REAUTH' | 'DISABLED';
  @Column({ type: 'int', name: 'min_gap_minutes' }) minGapMinutes!: number;
  @Column({ type: 'int', name: 'daily_cap' }) dailyCap!: number;
}
