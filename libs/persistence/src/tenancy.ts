import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { departmentScope, type Principal } from '@prasar/auth';

/** The per-transaction setting row-level security policies read. */
export const TENANT_SETTING = 'prasar.department_id';

/** Everyone's rows: the IT cell, event handlers and pollers (which act for the platform). */
export const ALL_DEPARTMENTS = '*';

/**
 * Sets the tenant of the current transaction: a department id, or ALL_DEPARTMENTS.
 * Row-level security shows nothing at all when it is not set.
 */
export async function setTenant(em: EntityManager, departmentId: string): Promise<void> {
  await em.query(`SELECT set_config('${TENANT_SETTING}', $1, true)`, [departmentId]);
}

/**
 * Runs work in a transaction that sees only what the caller may see: their own department, or
 * every department for the IT cell. The checks in code come first; this is the net beneath them.
 */
export function asCaller<T>(
  ds: DataSource,
  caller: Principal,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  return ds.transaction(async (em) => {
    await setTenant(em, departmentScope(caller) ?? ALL_DEPARTMENTS);
    return work(em);
  });
}

/** Runs work as the platform itself (event handlers, pollers): every department's rows. */
export function asPlatform<T>(ds: DataSource, work: (em: EntityManager) => Promise<T>): Promise<T> {
  return ds.transaction(async (em) => {
    await setTenant(em, ALL_DEPARTMENTS);
    return work(em);
  });
}

/**
 * Migration step: turns on row-level security for a tenant table, forced even for the owning role
 * the service connects as, keyed by the transaction's tenant setting.
 */
export async function enableTenantIsolation(
  q: QueryRunner,
  table: string,
  column = 'department_id',
): Promise<void> {
  await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
  await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
  await q.query(
    `CREATE POLICY ${table}_tenant ON ${table}
       USING (current_setting('${TENANT_SETTING}', true) IN ('${ALL_DEPARTMENTS}', ${column}::text))
       WITH CHECK (current_setting('${TENANT_SETTING}', true) IN ('${ALL_DEPARTMENTS}', ${column}::text))`,
  );
}
