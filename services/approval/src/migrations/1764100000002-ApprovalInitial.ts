import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ApprovalInitial1764100000002 implements MigrationInterface {
  name = 'ApprovalInitial1764100000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE approvals (
        id              uuid PRIMARY KEY,
        content_id      uuid NOT NULL,
        department_id   uuid NOT NULL,
        content_version int NOT NULL,
        state           text NOT NULL,
        current_stage   int,
        content_kind    text NOT NULL,
        submitted_by    text NOT NULL,
        opened_at       timestamptz NOT NULL,
        closed_at       timestamptz
      )`);
    await q.query(`CREATE INDEX approvals_content ON approvals (content_id, opened_at DESC)`);
    await q.query(`CREATE INDEX approvals_department_state ON approvals (department_id, state)`);
    await q.query(`
      CREATE TABLE approval_stages (
        approval_id        uuid NOT NULL REFERENCES approvals(id),
        index              int NOT NULL,
        department_id      uuid NOT NULL,
        role               text NOT NULL,
        required_approvals int NOT NULL CHECK (required_approvals > 0),
        state              text NOT NULL,
        sla_minutes        int NOT NULL,
        due_at             timestamptz,
        PRIMARY KEY (approval_id, index)
      )`);
    await q.query(`CREATE INDEX approval_stages_due ON approval_stages (due_at) WHERE state = 'PENDING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE approval_stages`);
    await q.query(`DROP TABLE approvals`);
  }
}
