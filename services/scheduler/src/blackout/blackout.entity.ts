import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A Model Code of Conduct window: publicity at public expense stops for the regions it names. */
@Entity('blackout_windows')
export class BlackoutWindow {
  @PrimaryColumn('uuid') id!: string;
  /** District codes, or STATE for the whole state. */
  @Column('text', { array: true }) regions!: string[];
  @Column({ type: 'timestamptz', name: 'starts_at' }) startsAt!: Date;
  @Column({ type: 'timestamptz', name: 'ends_at' }) endsAt!: Date;
  @Column('text') reason!: string;
  @Column({ type: 'text', name: 'declared_by' }) declaredBy!: string;
  @Column({ type: 'timestamptz', name: 'ended_at', nullable: true }) endedAt!: Date | null;
  /** Set once the window's held posts have been released. */
  @Column({ type: 'timestamptz', name: 'released_at', nullable: true }) releasedAt!: Date | null;
}

/** Which district (region) a department's unit serves; state-level departments have none. */
@Entity('department_regions')
export class DepartmentRegion {
  @PrimaryColumn({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @PrimaryColumn('text') region!: string;
}
