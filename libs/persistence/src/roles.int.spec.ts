// A service refuses a database role that row-level security would not bind, against the real
// server: its own table-owning role, a superuser; the local stack's prasar_<svc>_app role passes.
import { readInfraEnv, runServiceUntilExit, scratchDatabase } from '@prasar/testing';
import { createServiceDataSource } from './data-source';
import { PrivilegedRoleError, requireUnprivilegedRole } from './roles';

const env = readInfraEnv();

async function check(url: string) {
  const ds = createServiceDataSource({ service: 'roles-spec', url, entities: [], migrations: [] });
  await ds.initialize();
  try {
    await requireUnprivilegedRole(ds);
  } finally {
    await ds.destroy();
  }
}

describe('the database role a service runs as', () => {
  it("passes for the stack's app role (data privileges only)", async () => {
    await expect(check(env.DATABASE_URLS.intake)).resolves.toBeUndefined();
  });

  it('refuses the role that owns the tables, and a superuser', async () => {
    const db = await scratchDatabase('roles');
    try {
      const owner = createServiceDataSource({
        service: 'roles-spec',
        url: db.url,
        entities: [],
        migrations: [],
      });
      await owner.initialize();
      await owner.query('CREATE TABLE owned (id int)');
      await owner.destroy();
      await expect(check(db.url)).rejects.toThrow(/owns 1 of the service's tables/);
    } finally {
      await db.drop();
    }
    await expect(check(env.DATABASE_ADMIN_URL)).rejects.toThrow(PrivilegedRoleError);
    await expect(check(env.DATABASE_ADMIN_URL)).rejects.toThrow(/is a superuser/);
  });

  it('a service given its owner role stops at start-up and says why', async () => {
    const owner = env.DATABASE_MIGRATION_URLS?.intake;
    expect(owner).toBeDefined();
    const { code, lines } = await runServiceUntilExit('intake', {
      port: 21101,
      extraEnv: { DATABASE_URL: owner!, LOG_LEVEL: 'warn' },
    });
    expect(code).not.toBe(0);
    expect(lines.join('\n')).toMatch(/the database role prasar_intake owns \d+ of the service's tables/);
  }, 60_000);
});
