import type { MigrationInterface, QueryRunner } from 'typeorm';
import { enableTenantIsolation } from '@prasar/persistence';

/**
 * The publisher's read model of intake's compliance policy (CompliancePolicyChanged) and people
 * registry (DepartmentMinistersChanged): the last check before publishing uses them, as they are
 * at that moment. No row means intake never changed them: the library's default policy, no minister.
 */
export class PublisherCompliancePolicy1765100000001 implements MigrationInterface {
  name = 'PublisherCompliancePolicy1765100000001';

  async up(q: QueryRunner): Promise<void> {
    // State-wide (one row, like intake's): not a tenant table.
    await q.query(`
      CREATE TABLE compliance_policy (
        id                        smallint PRIMARY KEY CHECK (id = 1),
        revision                  int NOT NULL,
        ad_photo_allow_list       text[] NOT NULL,
        allow_department_minister boolean NOT NULL,
        political                 jsonb NOT NULL,
        changed_at                timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE department_ministers (
        department_id uuid PRIMARY KEY,
        names         text[] NOT NULL,
        changed_at    timestamptz NOT NULL
      )`);
    await enableTenantIsolation(q, 'department_ministers');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE department_ministers`);
    await q.query(`DROP TABLE compliance_policy`);
  }
}
