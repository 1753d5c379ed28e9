import { ContentKind, PersonRole, Priority, type ContentSnapshot } from '@prasar/contracts';

export interface StageDefinition {
  role: string;
  requiredApprovals: number;
}

/** Every department's workflow unless it defines its own: the department head decides. */
export const DEFAULT_WORKFLOW: readonly StageDefinition[] = [{ role: 'DEPT_APPROVER', requiredApprovals: 1 }];

export const SLA_MINUTES = { NORMAL: 4 * 60, URGENT: 30 } as const;

/** The stages a submission goes through: the department's workflow plus stages its content demands. */
export function stagesFor(
  snapshot: ContentSnapshot,
  workflow: readonly StageDefinition[] = DEFAULT_WORKFLOW,
) {
  const stages = [...workflow];
  const namesMinister =
    snapshot.kind === ContentKind.MINISTER_MESSAGE ||
    snapshot.media.some((m) => m.people.some((p) => p.role === PersonRole.MINISTER));
  if (namesMinister && !stages.some((s) => s.role === 'MINISTER_OFFICE')) {
    stages.push({ role: 'MINISTER_OFFICE', requiredApprovals: 1 });
  }
  if (snapshot.kind === ContentKind.ADVERTISEMENT && !stages.some((s) => s.role === 'IT_CELL_ADMIN')) {
    stages.push({ role: 'IT_CELL_ADMIN', requiredApprovals: 1 });
  }
  const sla = snapshot.priority === Priority.URGENT ? SLA_MINUTES.URGENT : SLA_MINUTES.NORMAL;
  return stages.map((s) => ({ ...s, slaMinutes: sla }));
}
