import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { StageDefinition } from './workflow.rules';

/** A department's own workflow: its ordered stages. A department without a row uses the default. */
@Entity('workflows')
export class Workflow {
  @PrimaryColumn({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column('jsonb') stages!: StageDefinition[];
  @Column({ type: 'text', name: 'updated_by' }) updatedBy!: string;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}
