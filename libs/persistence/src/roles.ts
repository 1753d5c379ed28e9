import type { DataSource } from 'typeorm';

/** Thrown when a service is given a database role that could step around row-level security. */
export class PrivilegedRoleError extends Error {
  override readonly name = 'PrivilegedRoleError';
}

/**
 * A service runs as a role that row-level security binds: not a superuser, without BYPASSRLS,
 * owning none of its tables (an owner could disable or drop their policies). Migrations run as the
 * owner role; the service as a role with data privileges only. Resolves, or throws saying what to
 * fix.
 */
export async function requireUnprivilegedRole(ds: DataSource): Promise<void> {
  const [role] = (await ds.query(
    `SELECT r.rolname AS name, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
            (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relowner = r.oid) AS owned
       FROM pg_roles r WHERE r.rolname = current_user`,
  )) as { name: string; superuser: boolean; bypassrls: boolean; owned: number }[];
  const problems = [
    role.superuser && 'is a superuser',
    role.bypassrls && 'has BYPASSRLS',
    role.owned > 0 && `owns ${role.owned} of the service's tables`,
  ].filter(Boolean);
  if (problems.length) {
    throw new PrivilegedRoleError(
      `the database role ${role.name} ${problems.join(', ')}: row-level security would not bind it. ` +
        'Run migrations as the owner role and the service as a role with data privileges only ' +
        '(see the README, Database roles); DATABASE_ROLE_CHECK=false skips this check for a throwaway database',
    );
  }
}
