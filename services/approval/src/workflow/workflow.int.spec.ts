// Department workflows against the real PostgreSQL: who may change them, and what a change does.
import { randomUUID } from 'node:crypto';
import { departmentIdOf } from '@prasar/auth';
import { ContentKind } from '@prasar/contracts';
import { AGRI, HEALTH, approvalHarness, codeOf, person, type Harness } from '../__fixtures__/harness';

const agriId = departmentIdOf(AGRI);
const agriAdmin = person('agri-admin', ['DEPT_ADMIN'], AGRI);
const healthAdmin = person('health-admin', ['DEPT_ADMIN'], HEALTH);
const itCell = person('it-admin', ['IT_CELL_ADMIN']);

describe('department workflows', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await approvalHarness('approval_workflow');
  });
  afterAll(async () => {
    await h?.close();
  });

  const stageRoles = async (approvalId: string) =>
    (await h.approvals.stages(itCell, approvalId)).map((s) => [s.role, s.requiredApprovals]);

  it('is the default, one DEPT_APPROVER, until the department defines its own', async () => {
    expect(await h.workflows.get(person('editor', ['DEPT_EDITOR'], HEALTH), departmentIdOf(HEALTH))).toEqual([
      { role: 'DEPT_APPROVER', requiredApprovals: 1 },
    ]);
  });

  it("is set by the department's admin and applies to the next submission, the content's rules added after it", async () => {
    const before = await h.submit({ kind: ContentKind.MINISTER_MESSAGE });
    const stages = [
      { role: 'DEPT_APPROVER', requiredApprovals: 2 },
      { role: ' DEPT_ADMIN ', requiredApprovals: 1 },
    ];
    expect(await h.workflows.set(agriAdmin, agriId, stages)).toEqual([
      { role: 'DEPT_APPROVER', requiredApprovals: 2 },
      { role: 'DEPT_ADMIN', requiredApprovals: 1 },
    ]);
    expect(await h.workflows.get(person('approver', ['DEPT_APPROVER'], AGRI), agriId)).toEqual([
      { role: 'DEPT_APPROVER', requiredApprovals: 2 },
      { role: 'DEPT_ADMIN', requiredApprovals: 1 },
    ]);
    const after = await h.submit({ kind: ContentKind.MINISTER_MESSAGE });
    expect(await stageRoles(after.approval!.id)).toEqual([
      ['DEPT_APPROVER', 2],
      ['DEPT_ADMIN', 1],
      ['MINISTER_OFFICE', 1],
    ]);
    // An approval already open keeps the workflow it was opened with.
    expect(await stageRoles(before.approval!.id)).toEqual([
      ['DEPT_APPROVER', 1],
      ['MINISTER_OFFICE', 1],
    ]);
    const [row] = await h.sql(`SELECT updated_by FROM workflows WHERE department_id = $1`, [agriId]);
    expect(row).toEqual({ updated_by: 'agri-admin' });
  });

  it('is set by the IT cell for any department', async () => {
    const healthId = departmentIdOf(HEALTH);
    await h.workflows.set(itCell, healthId, [{ role: 'MINISTER_OFFICE', requiredApprovals: 1 }]);
    const { approval } = await h.submit({ department: HEALTH, kind: ContentKind.MINISTER_MESSAGE });
    expect(await stageRoles(approval!.id)).toEqual([['MINISTER_OFFICE', 1]]);
  });

  it("refuses anyone else: FORBIDDEN in the department, NOT_FOUND for another department's", async () => {
    const stages = [{ role: 'DEPT_APPROVER', requiredApprovals: 1 }];
    for (const roles of [['DEPT_APPROVER'], ['DEPT_EDITOR'], ['MINISTER_OFFICE'], ['VIEWER']] as const) {
      expect(await codeOf(h.workflows.set(person('x', [...roles], AGRI), agriId, stages))).toBe('FORBIDDEN');
    }
    expect(await codeOf(h.workflows.set(healthAdmin, agriId, stages))).toBe('NOT_FOUND');
    expect(await codeOf(h.workflows.get(healthAdmin, agriId))).toBe('NOT_FOUND');
    expect(await codeOf(h.workflows.set(itCell, 'agriculture', stages))).toBe('NOT_FOUND');
    expect(await h.workflows.get(agriAdmin, agriId)).toHaveLength(2);
  });

  it('refuses an invalid workflow with BAD_USER_INPUT and its violations, and keeps the one it had', async () => {
    const refused = await h.workflows
      .set(agriAdmin, agriId, [
        { role: 'SECRETARY', requiredApprovals: 1 },
        { role: 'DEPT_APPROVER', requiredApprovals: 0 },
      ])
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'BAD_USER_INPUT',
      violations: [
        { field: 'stages[0].role', rule: 'UNKNOWN_ROLE' },
        { field: 'stages[1].requiredApprovals', rule: 'AT_LEAST_ONE' },
      ],
    });
    expect(await codeOf(h.workflows.set(agriAdmin, agriId, []))).toBe('BAD_USER_INPUT');
    expect(await h.workflows.get(agriAdmin, agriId)).toEqual([
      { role: 'DEPT_APPROVER', requiredApprovals: 2 },
      { role: 'DEPT_ADMIN', requiredApprovals: 1 },
    ]);
    expect(await codeOf(h.workflows.get(agriAdmin, randomUUID()))).toBe('NOT_FOUND');
  });
});
