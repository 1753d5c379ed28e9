import type { MigrationInterface, QueryRunner } from 'typeorm';
import { enableTenantIsolation } from '@prasar/persistence';

/** Tenant tables and the column that names their department. */
export const INTAKE_TENANT_TABLES: readonly (readonly [table: string, column: string])[] = [
  ['departments', 'id'],
  ['contents', 'department_id'],
  ['content_versions', 'department_id'],
  ['audit_entries', 'department_id'],
  ['target_accounts', 'department_id'],
  ['published_texts', 'department_id'],
  ['department_ministers', 'department_id'],
];

/**
 * Row-level security on every tenant table, forced for the service's own role: a transaction sees
 * only the department its tenant setting names (asCaller), or every one (asPlatform). The checks
 * in code stay; this is the net beneath them. `compliance_policy` is state-wide and has none.
 */
export class IntakeRowLevelSecurity1764300000003 implements MigrationInterface {
  name = 'IntakeRowLevelSecurity1764300000003';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, column] of INTAKE_TENANT_TABLES) await enableTenantIsolation(q, table, column);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table] of INTAKE_TENANT_TABLES) {
      await q.query(`DROP POLICY ${table}_tenant ON ${table}`);
      await q.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
    }
  }
}
