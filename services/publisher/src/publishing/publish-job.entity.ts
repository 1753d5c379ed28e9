import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Platform } from '@prasar/compliance';

export type JobState = 'PENDING' | 'IN_FLIGHT' | 'HELD' | 'PUBLISHED' | 'FAILED' | 'CANCELLED';

/**
 * The durable promise to publish one publication exactly once. A worker claims it (IN_FLIGHT, with
 * a lease), calls the platform outside any transaction and records the outcome; a job whose last
 * call may have posted carries `reconcileFirst` and is looked up before anything is sent again.
 */
@Entity('publish_jobs')
export class PublishJob {
  @PrimaryColumn({ type: 'text', name: 'publication_id' }) publicationId!: string;
  @Column({ type: 'uuid', name: 'content_id' }) contentId!: string;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column({ type: 'text', name: 'account_id' }) accountId!: string;
  @Column('text') platform!: Platform;
  @Column({ type: 'int', name: 'content_version' }) contentVersion!: number;
  /** The highest PublishRequested.attempt seen (the scheduler's requests, not our calls). */
  @Column({ type: 'int', name: 'requested_attempt' }) requestedAttempt!: number;
  /** The approved ContentSnapshot (protobuf) as PublishRequested carried it. */
  @Column('bytea') snapshot!: Buffer;
  @Column('text') state!: JobState;
  @Column({ type: 'timestamptz', name: 'next_attempt_at' }) nextAttemptAt!: Date;
  @Column({ type: 'timestamptz', name: 'lease_until', nullable: true }) leaseUntil!: Date | null;
  @Column({ type: 'boolean', name: 'reconcile_first' }) reconcileFirst!: boolean;
  /** Calls made so far; also the fencing token of the current claim. */
  @Column('int') attempts!: number;
  /** SHA-256 of the text as published (for the duplicate-text rule). */
  @Column({ type: 'text', name: 'text_hash', nullable: true }) textHash!: string | null;
  @Column({ type: 'text', name: 'hold_reason', nullable: true }) holdReason!: string | null;
  @Column({ type: 'text', name: 'last_error', nullable: true }) lastError!: string | null;
  @Column({ type: 'text', name: 'external_id', nullable: true }) externalId!: string | null;
  @Column({ type: 'text', nullable: true }) url!: string | null;
  @Column({ type: 'timestamptz', name: 'published_at', nullable: true }) publishedAt!: Date | null;
  /** Found by looking it up after an uncertain call, not returned by the call that made it. */
  @Column('boolean') reconciled!: boolean;
  /** WhatsApp: subscribers the template went to. */
  @Column({ type: 'int', nullable: true }) recipients!: number | null;
  /** Instagram: the media container, kept so that a retry publishes it rather than making another. */
  @Column({ type: 'text', name: 'ig_container_id', nullable: true }) igContainerId!: string | null;
  @Column({ type: 'timestamptz', name: 'first_attempt_at', nullable: true }) firstAttemptAt!: Date | null;
  /** WhatsApp: when the broadcast's recipients were fixed (the opted-in subscribers at that moment). */
  @Column({ type: 'timestamptz', name: 'audience_built_at', nullable: true }) audienceBuiltAt!: Date | null;
  @Column({ type: 'timestamptz', name: 'next_insights_at', nullable: true }) nextInsightsAt!: Date | null;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}

/** How a call ended, in the words of prasar.publish.v1.AttemptOutcome. */
export type AttemptOutcome =
  'PUBLISHED' | 'RATE_LIMITED' | 'UNAVAILABLE' | 'UNCERTAIN' | 'REFUSED' | 'UNAUTHORIZED';

/** One attempt at a publication: recorded when claimed, completed when its outcome is known. */
@Entity('publish_attempts')
export class PublishAttempt {
  @PrimaryColumn({ type: 'text', name: 'publication_id' }) publicationId!: string;
  @PrimaryColumn('int') attempt!: number;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column({ type: 'text', name: 'account_id' }) accountId!: string;
  @Column('text') platform!: Platform;
  /** The attempt began by looking the post up (the one before it may have posted). */
  @Column('boolean') reconcile!: boolean;
  /** NULL while in flight; an attempt left NULL by a crash becomes UNCERTAIN. */
  @Column({ type: 'text', nullable: true }) outcome!: AttemptOutcome | null;
  @Column({ type: 'int', name: 'http_status', nullable: true }) httpStatus!: number | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ type: 'bigint', name: 'retry_after_ms', nullable: true }) retryAfterMs!: string | null;
  @Column({ type: 'timestamptz', name: 'started_at' }) startedAt!: Date;
  @Column({ type: 'timestamptz', name: 'finished_at', nullable: true }) finishedAt!: Date | null;
}
