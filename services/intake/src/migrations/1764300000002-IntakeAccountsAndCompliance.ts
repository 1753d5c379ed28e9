import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What submission-time compliance needs: the accounts read model (from the publisher's account
 * events), the texts already published per account, the state's policy and the people registry.
 */
export class IntakeAccountsAndCompliance1764300000002 implements MigrationInterface {
  name = 'IntakeAccountsAndCompliance1764300000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE target_accounts (
        id            text PRIMARY KEY,
        department_id uuid NOT NULL,
        platform      text NOT NULL,
        handle        text NOT NULL,
        status        text NOT NULL,
        updated_at    timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX target_accounts_department ON target_accounts (department_id)`);
    await q.query(`
      CREATE TABLE published_texts (
        account_id      text NOT NULL,
        text_hash       text NOT NULL,
        department_id   uuid NOT NULL,
        content_id      uuid NOT NULL,
        content_version int NOT NULL,
        publication_id  text NOT NULL,
        published_at    timestamptz NOT NULL,
        PRIMARY KEY (account_id, text_hash)
      )`);
    await q.query(`
      CREATE TABLE compliance_policy (
        id                        smallint PRIMARY KEY CHECK (id = 1),
        ad_photo_allow_list       text[] NOT NULL,
        allow_department_minister boolean NOT NULL,
        political                 jsonb,
        revision                  int NOT NULL,
        updated_by                text NOT NULL,
        updated_at                timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE department_ministers (
        department_id uuid NOT NULL REFERENCES departments(id),
        position      int NOT NULL,
        name          text NOT NULL,
        updated_by    text NOT NULL,
        updated_at    timestamptz NOT NULL,
        PRIMARY KEY (department_id, position)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE department_ministers`);
    await q.query(`DROP TABLE compliance_policy`);
    await q.query(`DROP TABLE published_texts`);
    await q.query(`DROP TABLE target_accounts`);
  }
}
