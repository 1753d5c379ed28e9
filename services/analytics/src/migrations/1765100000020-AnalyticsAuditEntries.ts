import type { MigrationInterface, QueryRunner } from 'typeorm';
import { enableTenantIsolation } from '@prasar/persistence';

/** Intake's audit entries with their hash chain (AuditEntryRecorded), for the records export. */
export class AnalyticsAuditEntries1765100000020 implements MigrationInterface {
  name = 'AnalyticsAuditEntries1765100000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_entries (
        content_id    uuid NOT NULL,
        seq           bigint NOT NULL,
        department_id uuid NOT NULL,
        at            timestamptz NOT NULL,
        actor         text NOT NULL,
        action        text NOT NULL,
        from_status   text,
        to_status     text,
        note          text,
        prev_hash     text NOT NULL,
        hash          text NOT NULL,
        PRIMARY KEY (content_id, seq)
      )`);
    await q.query(`CREATE INDEX audit_entries_department_at ON audit_entries (department_id, at)`);
    await enableTenantIsolation(q, 'audit_entries');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_entries`);
  }
}
