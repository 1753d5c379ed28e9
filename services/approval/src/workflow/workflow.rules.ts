import { ROLES, type Role, type Violation } from '@prasar/auth';
import { ContentKind, PersonRole, Priority, type ContentSnapshot } from '@prasar/contracts';

export interface StageDefinition {
  role: string;
  requiredApprovals: number;
}

/** Every department's workflow unless it defines its own: the department head decides. */
export const DEFAULT_WORKFLOW: readonly StageDefinition[] = [{ role: 'DEPT_APPROVER', requiredApprovals: 1 }];

export const SLA_MINUTES = { NORMAL: 4 * 60, URGENT: 30 } as const;

/**
 * Roles a workflow stage may name. A viewer only reads and an integration is a department's system,
 * not a person: neither signs off on content.
 */
export const DECIDING_ROLES: readonly Role[] = ROLES.filter((r) => r !== 'VIEWER' && r !== 'INTEGRATION');

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

/**
 * What is wrong with a workflow a department admin proposes: no stages, a role that cannot decide,
 * a role twice (one person would then pass two stages), or fewer than one required approver.
 */
export function workflowViolations(stages: readonly StageDefinition[]): Violation[] {
  const violations: Violation[] = [];
  if (stages.length === 0) {
    violations.push({
      field: 'stages',
      rule: 'STAGE_REQUIRED',
      message: 'A workflow needs at least one stage',
    });
  }
  const seen = new Set<string>();
  stages.forEach((stage, i) => {
    if (!(DECIDING_ROLES as readonly string[]).includes(stage.role)) {
      violations.push({
        field: `stages[${i}].role`,
        rule: 'UNKNOWN_ROLE',
        message: `"${stage.role}" is not a role that decides; use one of ${DECIDING_ROLES.join(', ')}`,
      });
    } else if (seen.has(stage.role)) {
      violations.push({
        field: `stages[${i}].role`,
        rule: 'DUPLICATE_ROLE',
        message: `${stage.role} already decides an earlier stage`,
      });
    }
    seen.add(stage.role);
    if (!Number.isInteger(stage.requiredApprovals) || stage.requiredApprovals < 1) {
      violations.push({
        field: `stages[${i}].requiredApprovals`,
        rule: 'AT_LEAST_ONE',
        message: 'A stage needs at least one approver',
      });
    }
  });
  return violations;
}
