import type { MigrationInterface, QueryRunner } from 'typeorm';
import { enableTenantIsolation } from '@prasar/persistence';

const TENANT_TABLES = ['approvals', 'approval_stages', 'approval_decisions', 'workflows'];

/** Row-level security on every tenant table: a transaction sees only its department (or all, for the platform). */
export class ApprovalTenantIsolation1795700680261 implements MigrationInterface {
  name = 'ApprovalTenantIsolation1795700680261';

  async up(q: QueryRunner): Promise<void> {
    for (const table of TENANT_TABLES) await enableTenantIsolation(q, table);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of TENANT_TABLES) {
      await q.query(`DROP POLICY ${table}_tenant ON ${table}`);
      await q.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
    }
  }
}
