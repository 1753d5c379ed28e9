import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Everyone who wrote any version of the content (ContentSubmitted.contributors): none may approve it. */
export class ApprovalContributors1795800000001 implements MigrationInterface {
  name = 'ApprovalContributors1795800000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE approvals ADD COLUMN contributors text[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE approvals DROP COLUMN contributors`);
  }
}
