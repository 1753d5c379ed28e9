import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { PersonRole, PoliticalLists } from '@prasar/compliance';

/** The state's compliance policy (one row; absent means DEFAULT_POLICY). */
@Entity('compliance_policy')
export class CompliancePolicyRow {
  @PrimaryColumn('smallint') id!: number;
  @Column('text', { array: true, name: 'ad_photo_allow_list' }) adPhotoAllowList!: PersonRole[];
  @Column({ type: 'boolean', name: 'allow_department_minister' }) allowDepartmentMinister!: boolean;
  /** The political lists; null means the library's default lists. */
  @Column({ type: 'jsonb', nullable: true }) political!: PoliticalLists | null;
  /** Bumped on every change, so a compiled policy can be reused until it changes. */
  @Column('int') revision!: number;
  @Column({ type: 'text', name: 'updated_by' }) updatedBy!: string;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}

/** The people registry: a department's minister(s), in every spelling editors use in person tags. */
@Entity('department_ministers')
export class DepartmentMinister {
  @PrimaryColumn({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @PrimaryColumn('int') position!: number;
  @Column('text') name!: string;
  @Column({ type: 'text', name: 'updated_by' }) updatedBy!: string;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}
