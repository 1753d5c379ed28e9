import type { MigrationInterface, QueryRunner } from 'typeorm';
import { enableTenantIsolation } from '@prasar/persistence';

/** Each publication's state as intake follows it, to settle PUBLISHED / PARTIALLY_PUBLISHED / FAILED. */
export class IntakePublicationProgress1764300000004 implements MigrationInterface {
  name = 'IntakePublicationProgress1764300000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE publication_progress (
        publication_id text PRIMARY KEY,
        content_id     uuid NOT NULL REFERENCES contents(id),
        department_id  uuid NOT NULL,
        version        int NOT NULL,
        account_id     text NOT NULL,
        state          text NOT NULL,
        updated_at     timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX publication_progress_content ON publication_progress (content_id, version)`);
    await enableTenantIsolation(q, 'publication_progress');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE publication_progress`);
  }
}
