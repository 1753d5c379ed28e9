import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  BadInputError,
  canAccessDepartment,
  ForbiddenError,
  hasRole,
  NotFoundError,
  type Principal,
  type Role,
} from '@prasar/auth';
import { ContentCreatedSchema, ContentSubmittedSchema } from '@prasar/contracts';
import { EventPublisher } from '@prasar/kafka';
import { AuditTrail } from '../audit/audit.service';
import { Department } from '../department/department.entity';
import { Content, ContentVersion, type ContentBody, type ContentStatus } from './content.entity';
import { validateContentBody } from './content.validation';
import { assertTransition } from './lifecycle';
import { actorOf, snapshotOf } from './snapshot';

/** Roles that write and submit a department's content. */
export const AUTHOR_ROLES: Role[] = ['DEPT_EDITOR', 'DEPT_ADMIN', 'INTEGRATION', 'IT_CELL_ADMIN'];

@Injectable()
export class ContentService {
  constructor(
    private readonly ds: DataSource,
    private readonly events: EventPublisher,
    private readonly audit: AuditTrail,
  ) {}

  /** A content item the caller may see, or NOT_FOUND (the same answer whether it exists elsewhere or not). */
  async get(caller: Principal, id: string): Promise<Content> {
    const content = isUuid(id) ? await this.ds.getRepository(Content).findOneBy({ id }) : null;
    if (!content || !canAccessDepartment(caller, content.departmentId))
      throw new NotFoundError('Content', id);
    return content;
  }

  /** For federation: resolves a reference, or null when the caller may not see it. */
  async findVisible(caller: Principal, id: string): Promise<Content | null> {
    if (!isUuid(id)) return null;
    const content = await this.ds.getRepository(Content).findOneBy({ id });
    return content && canAccessDepartment(caller, content.departmentId) ? content : null;
  }

  async create(caller: Principal, departmentId: string, input: ContentBody): Promise<Content> {
    if (!hasRole(caller, ...AUTHOR_ROLES)) throw new ForbiddenError('Only editors may create content');
    const violations = validateContentBody(input);
    return this.ds.transaction(async (em) => {
      const department = isUuid(departmentId) ? await em.findOneBy(Department, { id: departmentId }) : null;
      if (!department || !canAccessDepartment(caller, department.id))
        throw new NotFoundError('Department', departmentId);
      if (violations.length) throw new BadInputError('The content has problems to fix', violations);
      const now = new Date();
      const content = em.create(Content, {
        ...input,
        id: randomUUID(),
        departmentId: department.id,
        status: 'DRAFT',
        version: 1,
        createdBy: caller.subject,
        createdAt: now,
        updatedAt: now,
      });
      await em.insert(Content, content);
      await em.insert(ContentVersion, {
        contentId: content.id,
        version: 1,
        departmentId: content.departmentId,
        snapshot: input,
        createdBy: caller.subject,
        createdAt: now,
      });
      await this.audit.record(em, {
        contentId: content.id,
        departmentId: content.departmentId,
        actor: caller.subject,
        action: 'CREATED',
        toStatus: 'DRAFT',
        at: now,
      });
      await this.events.publish(em, {
        schema: ContentCreatedSchema,
        message: {
          contentId: content.id,
          departmentId: content.departmentId,
          snapshot: snapshotOf(content, caller),
          actor: actorOf(caller),
        },
      });
      return content;
    });
  }

  /** DRAFT or CHANGES_REQUESTED → IN_REVIEW; the approval service opens the workflow from the event. */
  async submit(caller: Principal, id: string): Promise<Content> {
    if (!hasRole(caller, ...AUTHOR_ROLES)) throw new ForbiddenError('Only editors may submit content');
    return this.ds.transaction(async (em) => {
      const content = await this.lockVisible(em, caller, id);
      assertTransition(content.status, 'IN_REVIEW');
      if (content.targetAccountIds.length === 0) {
        throw new BadInputError('Choose at least one account to publish to', [
          {
            field: 'targetAccountIds',
            rule: 'TARGET_REQUIRED',
            message: 'Choose at least one target account',
          },
        ]);
      }
      const now = new Date();
      await this.setStatus(em, content, 'IN_REVIEW', caller.subject, 'SUBMITTED', now);
      await this.events.publish(em, {
        schema: ContentSubmittedSchema,
        message: {
          contentId: content.id,
          departmentId: content.departmentId,
          snapshot: snapshotOf(content, caller),
          actor: actorOf(caller),
          submittedAt: timestampFromDate(now),
        },
      });
      return content;
    });
  }

  private async lockVisible(em: EntityManager, caller: Principal, id: string): Promise<Content> {
    const content = isUuid(id)
      ? await em.findOne(Content, { where: { id }, lock: { mode: 'pessimistic_write' } })
      : null;
    if (!content || !canAccessDepartment(caller, content.departmentId))
      throw new NotFoundError('Content', id);
    return content;
  }

  /** Moves a content item to a new status and records it in the audit trail. */
  private async setStatus(
    em: EntityManager,
    content: Content,
    to: ContentStatus,
    actor: string,
    action: string,
    at: Date,
    note?: string,
  ): Promise<void> {
    await em.update(Content, { id: content.id }, { status: to, updatedAt: at });
    await this.audit.record(em, {
      contentId: content.id,
      departmentId: content.departmentId,
      actor,
      action,
      fromStatus: content.status,
      toStatus: to,
      note,
      at,
    });
    content.status = to;
    content.updatedAt = at;
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
