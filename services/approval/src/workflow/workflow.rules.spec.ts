import { create } from '@bufbuild/protobuf';
import { ContentKind, ContentSnapshotSchema, PersonRole, Priority } from '@prasar/contracts';
import { DECIDING_ROLES, stagesFor, workflowViolations } from './workflow.rules';

describe('workflow rules', () => {
  const snapshot = (init: Parameters<typeof create<typeof ContentSnapshotSchema>>[1] = {}) =>
    create(ContentSnapshotSchema, { kind: ContentKind.ACHIEVEMENT, priority: Priority.NORMAL, ...init });

  it("adds the content's stages after the department's own, once, with the priority's SLA", () => {
    const own = [
      { role: 'DEPT_APPROVER', requiredApprovals: 2 },
      { role: 'DEPT_ADMIN', requiredApprovals: 1 },
    ];
    expect(stagesFor(snapshot({ kind: ContentKind.MINISTER_MESSAGE }), own)).toEqual([
      { role: 'DEPT_APPROVER', requiredApprovals: 2, slaMinutes: 240 },
      { role: 'DEPT_ADMIN', requiredApprovals: 1, slaMinutes: 240 },
      { role: 'MINISTER_OFFICE', requiredApprovals: 1, slaMinutes: 240 },
    ]);
    const withMinisterOffice = [{ role: 'MINISTER_OFFICE', requiredApprovals: 2 }];
    expect(
      stagesFor(
        snapshot({
          kind: ContentKind.ADVERTISEMENT,
          priority: Priority.URGENT,
          media: [{ people: [{ role: PersonRole.MINISTER, name: 'मंत्री' }] }],
        }),
        withMinisterOffice,
      ),
    ).toEqual([
      { role: 'MINISTER_OFFICE', requiredApprovals: 2, slaMinutes: 30 },
      { role: 'IT_CELL_ADMIN', requiredApprovals: 1, slaMinutes: 30 },
    ]);
    expect(stagesFor(snapshot())).toEqual([{ role: 'DEPT_APPROVER', requiredApprovals: 1, slaMinutes: 240 }]);
  });

  it('accepts a workflow of deciding roles, each once, each needing at least one approver', () => {
    expect(DECIDING_ROLES).toEqual([
      'IT_CELL_ADMIN',
      'DEPT_ADMIN',
      'DEPT_EDITOR',
      'DEPT_APPROVER',
      'MINISTER_OFFICE',
    ]);
    expect(workflowViolations([{ role: 'DEPT_APPROVER', requiredApprovals: 3 }])).toEqual([]);
    expect(workflowViolations([]).map((v) => `${v.field}:${v.rule}`)).toEqual(['stages:STAGE_REQUIRED']);
    expect(
      workflowViolations([
        { role: 'CHIEF_SECRETARY', requiredApprovals: 1 },
        { role: 'VIEWER', requiredApprovals: 1 },
        { role: 'DEPT_APPROVER', requiredApprovals: 0 },
        { role: 'DEPT_APPROVER', requiredApprovals: 1.5 },
      ]).map((v) => `${v.field}:${v.rule}`),
    ).toEqual([
      'stages[0].role:UNKNOWN_ROLE',
      'stages[1].role:UNKNOWN_ROLE',
      'stages[2].requiredApprovals:AT_LEAST_ONE',
      'stages[3].role:DUPLICATE_ROLE',
      'stages[3].requiredApprovals:AT_LEAST_ONE',
    ]);
  });
});
