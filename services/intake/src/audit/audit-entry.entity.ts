import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ContentStatus } from '../content/content.entity';

/** One recorded action on a content item; append-only and hash-chained per content item. */
@Entity('audit_entries')
export class AuditEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' }) seq!: string;
  @Column({ type: 'uuid', name: 'content_id' }) contentId!: string;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column('text') actor!: string;
  @Column('text') action!: string;
  @Column({ type: 'text', name: 'from_status', nullable: true }) fromStatus!: ContentStatus | null;
  @Column({ type: 'text', name: 'to_status', nullable: true }) toStatus!: ContentStatus | null;
  @Column({ type: 'text', nullable: true }) note!: string | null;
  @Column({ type: 'text', name: 'prev_hash' }) prevHash!: string;
  @Column('text') hash!: string;
}
