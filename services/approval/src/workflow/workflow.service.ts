import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  BadInputError,
  canAccessDepartment,
  ForbiddenError,
  hasRole,
  isStateWide,
  NotFoundError,
  type Principal,
} from '@prasar/auth';
import { asCaller } from '@prasar/persistence';
import { isUuid } from '../ids';
import { Workflow } from './workflow.entity';
import { DEFAULT_WORKFLOW, workflowViolations, type StageDefinition } from './workflow.rules';

/** Departments' own workflows: who decides their content, in which order, how many of them. */
@Injectable()
export class WorkflowService {
  constructor(private readonly ds: DataSource) {}

  /** The stages a department's content goes through (before the content's own rules add any). */
  async forDepartment(em: EntityManager, departmentId: string): Promise<StageDefinition[]> {
    const workflow = await em.findOneBy(Workflow, { departmentId });
    return workflow ? workflow.stages : [...DEFAULT_WORKFLOW];
  }

  /** Anyone of the department (and the IT cell) may read its workflow. */
  async get(caller: Principal, departmentId: string): Promise<StageDefinition[]> {
    this.assertVisible(caller, departmentId);
    return asCaller(this.ds, caller, (em) => this.forDepartment(em, departmentId));
  }

  /** Replaces a department's workflow: its DEPT_ADMIN or the IT cell. */
  async set(caller: Principal, departmentId: string, stages: StageDefinition[]): Promise<StageDefinition[]> {
    this.assertVisible(caller, departmentId);
    if (!isStateWide(caller) && !hasRole(caller, 'DEPT_ADMIN')) {
      throw new ForbiddenError("Only the department's admin or the IT cell may change its workflow");
    }
    const normalized = stages.map((s) => ({ role: s.role.trim(), requiredApprovals: s.requiredApprovals }));
    const violations = workflowViolations(normalized);
    if (violations.length) throw new BadInputError('The workflow has problems to fix', violations);
    await asCaller(this.ds, caller, (em) =>
      em.upsert(
        Workflow,
        { departmentId, stages: normalized, updatedBy: caller.subject, updatedAt: new Date() },
        ['departmentId'],
      ),
    );
    return normalized;
  }

  private assertVisible(caller: Principal, departmentId: string): void {
    if (!isUuid(departmentId) || !canAccessDepartment(caller, departmentId)) {
      throw new NotFoundError('Department', departmentId);
    }
  }
}
