// Row-level security on every approval tenant table, against the real PostgreSQL: the net beneath
// the department checks in code.
import { departmentIdOf } from '@prasar/auth';
import { asCaller } from '@prasar/persistence';
import { AGRI, HEALTH, approvalHarness, person, type Harness } from './__fixtures__/harness';

const TABLES = ['approvals', 'approval_stages', 'approval_decisions', 'workflows'];
const agriId = departmentIdOf(AGRI);
const healthId = departmentIdOf(HEALTH);
const agriApprover = person('approver-a', ['DEPT_APPROVER'], AGRI);
const healthApprover = person('approver-h', ['DEPT_APPROVER'], HEALTH);
const itCell = person('it-admin', ['IT_CELL_ADMIN']);

describe("row-level security on approval's tables", () => {
  let h: Harness;
  let agriContent: string;
  let agriApprovalId: string;

  beforeAll(async () => {
    h = await approvalHarness('approval_tenancy');
    const stages = [{ role: 'DEPT_APPROVER', requiredApprovals: 2 }];
    await h.workflows.set(itCell, agriId, stages);
    await h.workflows.set(itCell, healthId, stages);
    const agri = await h.submit({ department: AGRI });
    const health = await h.submit({ department: HEALTH });
    agriContent = agri.contentId;
    agriApprovalId = agri.approval!.id;
    await h.decisions.decide(agriApprover, agri.contentId, 'APPROVE');
    await h.decisions.decide(healthApprover, health.contentId, 'APPROVE');
  });
  afterAll(async () => {
    await h?.close();
  });

  const departmentsIn = (rows: { department_id: string }[]) =>
    [...new Set(rows.map((r) => r.department_id))].sort();

  it('shows a department only its own rows, even to a query without a department filter', async () => {
    for (const table of TABLES) {
      const rows = await asCaller(h.ds, agriApprover, (em) => em.query(`SELECT department_id FROM ${table}`));
      expect([table, departmentsIn(rows)]).toEqual([table, [agriId]]);
    }
  });

  it('shows the IT cell every department, and a connection with no tenant set nothing at all', async () => {
    for (const table of TABLES) {
      const all = await asCaller(h.ds, itCell, (em) => em.query(`SELECT department_id FROM ${table}`));
      expect([table, departmentsIn(all)]).toEqual([table, [agriId, healthId].sort()]);
      expect([table, await h.ds.query(`SELECT * FROM ${table}`)]).toEqual([table, []]);
    }
  });

  it("refuses writes into another department's rows", async () => {
    await expect(
      asCaller(h.ds, agriApprover, (em) =>
        em.query(
          `INSERT INTO workflows (department_id, stages, updated_by, updated_at) VALUES ($1, '[]', 'x', now())
           ON CONFLICT (department_id) DO NOTHING`,
          [healthId],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
    for (const table of ['approvals', 'approval_stages']) {
      const [, moved] = await asCaller(h.ds, agriApprover, (em) =>
        em.query(`UPDATE ${table} SET department_id = department_id WHERE department_id = $1`, [healthId]),
      );
      expect([table, moved]).toEqual([table, 0]);
    }
    await expect(
      asCaller(h.ds, agriApprover, (em) =>
        em.query(`UPDATE approvals SET department_id = $1 WHERE department_id = $2`, [healthId, agriId]),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it("keeps Content.approval and its stages for the content's department and the IT cell only", async () => {
    expect(await h.approvals.latestFor(agriApprover, agriContent)).toMatchObject({ id: agriApprovalId });
    expect(await h.approvals.latestFor(itCell, agriContent)).toMatchObject({ id: agriApprovalId });
    expect(await h.approvals.latestFor(healthApprover, agriContent)).toBeNull();
    expect(await h.approvals.latestFor(agriApprover, 'not-a-uuid')).toBeNull();
    expect(await h.approvals.stages(healthApprover, agriApprovalId)).toEqual([]);
    const stages = await h.approvals.stages(itCell, agriApprovalId);
    expect(stages.map((s) => s.decisions.map((d) => d.decidedBy))).toEqual([['approver-a']]);
  });

  it('keeps decisions append-only and approvals undeletable', async () => {
    await expect(h.sql(`UPDATE approval_decisions SET comment = 'rewritten'`)).rejects.toThrow(/append-only/);
    await expect(h.sql(`DELETE FROM approval_decisions`)).rejects.toThrow(/append-only/);
    await expect(h.sql(`DELETE FROM approval_stages`)).rejects.toThrow(/append-only/);
    await expect(h.sql(`DELETE FROM approvals`)).rejects.toThrow(/append-only/);
  });
});
