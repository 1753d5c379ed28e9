import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Decisions, department workflows, the submitted snapshot and SLA escalation. */
export class ApprovalDecisions1795700680260 implements MigrationInterface {
  name = 'ApprovalDecisions1795700680260';

  async up(q: QueryRunner): Promise<void> {
    // Approvals opened before this migration have no snapshot; the columns below get neutral values.
    await q.query(`
      ALTER TABLE approvals
        ADD COLUMN priority text NOT NULL DEFAULT 'NORMAL' CHECK (priority IN ('NORMAL', 'URGENT')),
        ADD COLUMN author   text NOT NULL DEFAULT '',
        ADD COLUMN snapshot jsonb`);
    await q.query(
      `ALTER TABLE approvals ALTER COLUMN priority DROP DEFAULT, ALTER COLUMN author DROP DEFAULT`,
    );
    await q.query(`CREATE INDEX approvals_pending ON approvals (current_stage) WHERE state = 'PENDING'`);
    await q.query(`
      ALTER TABLE approval_stages
        ADD COLUMN escalated_at timestamptz,
        ADD COLUMN completed_at timestamptz`);
    await q.query(`DROP INDEX approval_stages_due`);
    await q.query(
      `CREATE INDEX approval_stages_overdue ON approval_stages (due_at) WHERE state = 'PENDING' AND escalated_at IS NULL`,
    );
    await q.query(`
      CREATE TABLE approval_decisions (
        seq              bigserial PRIMARY KEY,
        approval_id      uuid NOT NULL,
        stage_index      int NOT NULL,
        department_id    uuid NOT NULL,
        decided_by       text NOT NULL,
        decided_by_name  text NOT NULL,
        decided_by_roles text[] NOT NULL,
        decision         text NOT NULL CHECK (decision IN ('APPROVE', 'REJECT', 'REQUEST_CHANGES')),
        comment          text,
        decided_at       timestamptz NOT NULL,
        FOREIGN KEY (approval_id, stage_index) REFERENCES approval_stages (approval_id, index)
      )`);
    await q.query(
      `CREATE INDEX approval_decisions_stage ON approval_decisions (approval_id, stage_index, seq)`,
    );
    // The net beneath the check in code: one person counts once per stage.
    await q.query(`
      CREATE UNIQUE INDEX approval_decisions_one_approval_each
        ON approval_decisions (approval_id, stage_index, decided_by) WHERE decision = 'APPROVE'`);
    await q.query(`
      CREATE TABLE workflows (
        department_id uuid PRIMARY KEY,
        stages        jsonb NOT NULL CHECK (jsonb_typeof(stages) = 'array' AND jsonb_array_length(stages) > 0),
        updated_by    text NOT NULL,
        updated_at    timestamptz NOT NULL
      )`);
    // Government records: decisions are append-only, approvals and their stages are never deleted.
    await q.query(`
      CREATE FUNCTION prasar_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'prasar: % on % is not allowed (append-only record)', TG_OP, TG_TABLE_NAME;
      END $$`);
    await q.query(`CREATE TRIGGER approval_decisions_append_only BEFORE UPDATE OR DELETE ON approval_decisions
                   FOR EACH ROW EXECUTE FUNCTION prasar_refuse_change()`);
    await q.query(`CREATE TRIGGER approvals_never_deleted BEFORE DELETE ON approvals
                   FOR EACH ROW EXECUTE FUNCTION prasar_refuse_change()`);
    await q.query(`CREATE TRIGGER approval_stages_never_deleted BEFORE DELETE ON approval_stages
                   FOR EACH ROW EXECUTE FUNCTION prasar_refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER approval_stages_never_deleted ON approval_stages`);
    await q.query(`DROP TRIGGER approvals_never_deleted ON approvals`);
    await q.query(`DROP TABLE workflows`);
    await q.query(`DROP TABLE approval_decisions`);
    await q.query(`DROP FUNCTION prasar_refuse_change()`);
    await q.query(`DROP INDEX approval_stages_overdue`);
    await q.query(`CREATE INDEX approval_stages_due ON approval_stages (due_at) WHERE state = 'PENDING'`);
    await q.query(`ALTER TABLE approval_stages DROP COLUMN completed_at, DROP COLUMN escalated_at`);
    await q.query(`DROP INDEX approvals_pending`);
    await q.query(`ALTER TABLE approvals DROP COLUMN snapshot, DROP COLUMN author, DROP COLUMN priority`);
  }
}
