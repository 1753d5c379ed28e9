import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IntakeInitial1764100000001 implements MigrationInterface {
  name = 'IntakeInitial1764100000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE departments (
        id         uuid PRIMARY KEY,
        code       text NOT NULL UNIQUE,
        name       text NOT NULL,
        name_hi    text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE contents (
        id                 uuid PRIMARY KEY,
        department_id      uuid NOT NULL REFERENCES departments(id),
        kind               text NOT NULL,
        priority           text NOT NULL,
        title              text NOT NULL,
        body               jsonb NOT NULL,
        hashtags           text[] NOT NULL DEFAULT '{}',
        link               text,
        media              jsonb NOT NULL DEFAULT '[]',
        evidence           jsonb,
        desired_publish_at timestamptz,
        target_account_ids text[] NOT NULL DEFAULT '{}',
        overrides          jsonb NOT NULL DEFAULT '[]',
        status             text NOT NULL,
        version            int NOT NULL,
        created_by         text NOT NULL,
        created_at         timestamptz NOT NULL,
        updated_at         timestamptz NOT NULL
      )`);
    await q.query(
      `CREATE INDEX contents_department_created ON contents (department_id, created_at DESC, id)`,
    );
    await q.query(`
      CREATE TABLE content_versions (
        content_id    uuid NOT NULL REFERENCES contents(id),
        version       int NOT NULL,
        department_id uuid NOT NULL,
        snapshot      jsonb NOT NULL,
        created_by    text NOT NULL,
        created_at    timestamptz NOT NULL,
        PRIMARY KEY (content_id, version)
      )`);
    await q.query(`
      CREATE TABLE audit_entries (
        seq           bigserial PRIMARY KEY,
        content_id    uuid NOT NULL REFERENCES contents(id),
        department_id uuid NOT NULL,
        at            timestamptz NOT NULL,
        actor         text NOT NULL,
        action        text NOT NULL,
        from_status   text,
        to_status     text,
        note          text,
        prev_hash     text NOT NULL,
        hash          text NOT NULL
      )`);
    await q.query(`CREATE INDEX audit_entries_content ON audit_entries (content_id, seq)`);
    // Government records: versions and the audit trail are append-only, content is never deleted.
    await q.query(`
      CREATE FUNCTION prasar_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'prasar: % on % is not allowed (append-only record)', TG_OP, TG_TABLE_NAME;
      END $$`);
    await q.query(`CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
                   FOR EACH ROW EXECUTE FUNCTION prasar_refuse_change()`);
    await q.query(`CREATE TRIGGER content_versions_append_only BEFORE UPDATE OR DELETE ON content_versions
                   FOR EACH ROW EXECUTE FUNCTION prasar_refuse_change()`);
    await q.query(`CREATE TRIGGER contents_never_deleted BEFORE DELETE ON contents
                   FOR EACH ROW EXECUTE FUNCTION prasar_refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_entries`);
    await q.query(`DROP TABLE content_versions`);
    await q.query(`DROP TABLE contents`);
    await q.query(`DROP TABLE departments`);
    await q.query(`DROP FUNCTION prasar_refuse_change()`);
  }
}
