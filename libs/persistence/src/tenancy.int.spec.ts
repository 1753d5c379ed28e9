// Row-level security as the net beneath the checks in code, against the real PostgreSQL.
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { departmentIdOf, type Principal } from '@prasar/auth';
import { scratchDatabase } from '@prasar/testing';
import { createServiceDataSource, type DataSource } from './index';
import { migrate } from './migrate';
import { asCaller, asPlatform, enableTenantIsolation } from './tenancy';

class Notes1700000000000 implements MigrationInterface {
  name = 'Notes1700000000000';
  async up(q: QueryRunner) {
    await q.query(
      `CREATE TABLE notes (id serial PRIMARY KEY, department_id uuid NOT NULL, body text NOT NULL)`,
    );
    await enableTenantIsolation(q, 'notes');
  }
  async down(q: QueryRunner) {
    await q.query(`DROP TABLE notes`);
  }
}

const agri = departmentIdOf('agriculture');
const health = departmentIdOf('health');
const editor = (department: string): Principal => ({
  subject: `e-${department}`,
  name: 'e',
  roles: ['DEPT_EDITOR'],
  departmentCode: department,
  departmentId: departmentIdOf(department),
});
const itCell: Principal = { subject: 'it', name: 'it', roles: ['IT_CELL_ADMIN'] };

describe('tenant isolation with row-level security', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let ds: DataSource;

  beforeAll(async () => {
    db = await scratchDatabase('tenancy');
    ds = createServiceDataSource({
      service: 'tenancy-test',
      url: db.url,
      entities: [],
      migrations: [Notes1700000000000],
    });
    await ds.initialize();
    await migrate(ds);
    await asPlatform(ds, async (em) => {
      await em.query(`INSERT INTO notes (department_id, body) VALUES ($1, 'agri'), ($2, 'health')`, [
        agri,
        health,
      ]);
    });
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('shows a department only its own rows, even to a query that forgets its filter', async () => {
    const rows = await asCaller(ds, editor('agriculture'), (em) =>
      em.query(`SELECT body FROM notes ORDER BY body`),
    );
    expect(rows).toEqual([{ body: 'agri' }]);
  });

  it('shows the IT cell and the platform every department', async () => {
    const all = await asCaller(ds, itCell, (em) => em.query(`SELECT body FROM notes ORDER BY body`));
    expect(all).toEqual([{ body: 'agri' }, { body: 'health' }]);
    const platform = await asPlatform(ds, (em) => em.query(`SELECT count(*)::int AS n FROM notes`));
    expect(platform).toEqual([{ n: 2 }]);
  });

  it('shows nothing when no tenant is set, and refuses writes into another department', async () => {
    expect(await ds.query(`SELECT * FROM notes`)).toEqual([]);
    await expect(
      asCaller(ds, editor('agriculture'), (em) =>
        em.query(`INSERT INTO notes (department_id, body) VALUES ($1, 'sneaky')`, [health]),
      ),
    ).rejects.toThrow(/row-level security/);
    const moved = await asCaller(ds, editor('agriculture'), (em) =>
      em.query(`UPDATE notes SET body = 'x' WHERE department_id = $1`, [health]),
    );
    expect(moved[1]).toBe(0);
  });
});
