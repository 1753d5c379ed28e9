import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ALL_DEPARTMENTS, TENANT_SETTING } from '@prasar/persistence';

/**
 * The state-wide policy row under row-level security like every other table: any transaction that
 * has a tenant may read it (it is public policy), only the platform's (the policy consumer) may
 * write it.
 */
export class PublisherCompliancePolicyRls1765100000002 implements MigrationInterface {
  name = 'PublisherCompliancePolicyRls1765100000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE compliance_policy ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE compliance_policy FORCE ROW LEVEL SECURITY`);
    await q.query(
      `CREATE POLICY compliance_policy_read ON compliance_policy FOR SELECT
         USING (coalesce(current_setting('${TENANT_SETTING}', true), '') <> '')`,
    );
    await q.query(
      `CREATE POLICY compliance_policy_write ON compliance_policy FOR ALL
         USING (current_setting('${TENANT_SETTING}', true) = '${ALL_DEPARTMENTS}')
         WITH CHECK (current_setting('${TENANT_SETTING}', true) = '${ALL_DEPARTMENTS}')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP POLICY compliance_policy_write ON compliance_policy`);
    await q.query(`DROP POLICY compliance_policy_read ON compliance_policy`);
    await q.query(`ALTER TABLE compliance_policy NO FORCE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE compliance_policy DISABLE ROW LEVEL SECURITY`);
  }
}
