import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Platform } from '@prasar/compliance';

export type AccountStatus = 'ACTIVE' | 'NEEDS_REAUTH' | 'DISABLED';

/**
 * Intake's read model of the publisher's social accounts (from AccountConnected and
 * AccountNeedsReauth): which department an account belongs to and which platform it is on.
 */
@Entity('target_accounts')
export class TargetAccount {
  @PrimaryColumn('text') id!: string;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column('text') platform!: Platform;
  @Column('text') handle!: string;
  @Column('text') status!: AccountStatus;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}

/** A text already published on an account (SHA-256 of the variant text), for the duplicate-text rule. */
@Entity('published_texts')
export class PublishedText {
  @PrimaryColumn({ type: 'text', name: 'account_id' }) accountId!: string;
  @PrimaryColumn({ type: 'text', name: 'text_hash' }) textHash!: string;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column({ type: 'uuid', name: 'content_id' }) contentId!: string;
  @Column({ type: 'int', name: 'content_version' }) contentVersion!: number;
  @Column({ type: 'text', name: 'publication_id' }) publicationId!: string;
  @Column({ type: 'timestamptz', name: 'published_at' }) publishedAt!: Date;
}
