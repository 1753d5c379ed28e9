import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('departments')
export class Department {
  /** UUIDv5 of the code (see departmentIdOf), so tokens name departments by code. */
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) code!: string;
  @Column('text') name!: string;
  @Column({ type: 'text', name: 'name_hi' }) nameHi!: string;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
}
