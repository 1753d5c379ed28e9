import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  BadInputError,
  canAccessDepartment,
  ConflictError,
  DomainError,
  ForbiddenError,
  hasRole,
  NotFoundError,
  type Principal,
  type Role,
  type Violation,
} from '@prasar/auth';
import type { ComplianceReport, Platform } from '@prasar/compliance';
import {
  ContentCreatedSchema,
  ContentStatusChangedSchema,
  ContentSubmittedSchema,
  ContentUpdatedSchema,
  ContentWithdrawnSchema,
} from '@prasar/contracts';
import { EventPublisher } from '@prasar/kafka';
import { asCaller, asPlatform, idempotent, type IdempotencyRequest } from '@prasar/persistence';
import { AccountsService } from '../accounts/accounts.service';
import { AuditTrail } from '../audit/audit.service';
import type { AuditEntry } from '../audit/audit-entry.entity';
import { ComplianceService } from '../compliance/compliance.service';
import { Department } from '../department/department.entity';
import {
  Content,
  ContentVersion,
  searchTextOf,
  type ContentBody,
  type ContentStatus,
} from './content.entity';
import { structuralViolations } from './content.validation';
import { isUuid } from './ids';
import { statusAfter, type LifecycleOperation } from './lifecycle';
import { actorOf, snapshotOf, statusOf, type ActorInit } from './snapshot';
import {
  advancePublication,
  stepsToward,
  type DerivedStep,
  type PublicationFact,
  type PublicationProgressState,
} from './status';

export { isUuid } from './ids';

/** Roles that write and submit a department's content. */
export const AUTHOR_ROLES: Role[] = ['DEPT_EDITOR', 'DEPT_ADMIN', 'INTEGRATION', 'IT_CELL_ADMIN'];

/** One target's published text and what is wrong with it (the contract's PlatformVariant). */
export interface PlatformVariantView {
  account: { id: string };
  platform: Platform;
  text: string;
  weightedLength: number;
  violations: Violation[];
}

/** A decision event of the approval service, as it moves content. */
export interface ApprovalOutcome {
  operation: Extract<LifecycleOperation, 'APPROVE' | 'REJECT' | 'REQUEST_CHANGES'>;
  contentId: string;
  /** The version decided on; events for any other version are ignored. */
  version: number;
  actor: ActorInit;
  /** The rejection reason or the requested changes. */
  note?: string | null;
}

/** What an event did: applied, or ignored (unknown content, or not its current version). */
export type EventEffect = 'applied' | 'ignored';

export type { PublicationProgressState } from './status';

/**
 * Who takes the steps the publications call for: the service whose events they are (fixed, so the
 * audit trail is the same whichever event happened to complete a step).
 */
export const SCHEDULER_ACTOR: ActorInit = { subject: 'service:scheduler', name: 'Scheduler', roles: [] };
export const PUBLISHER_ACTOR: ActorInit = { subject: 'service:publisher', name: 'Publisher', roles: [] };
const STEP_ACTOR: Partial<Record<LifecycleOperation, ActorInit>> = {
  SCHEDULE: SCHEDULER_ACTOR,
  START_PUBLISHING: SCHEDULER_ACTOR,
  SETTLE_PUBLISHED: PUBLISHER_ACTOR,
  SETTLE_PARTIALLY_PUBLISHED: PUBLISHER_ACTOR,
  SETTLE_FAILED: PUBLISHER_ACTOR,
};

const AUDIT_ACTION: Record<LifecycleOperation, string> = {
  SUBMIT: 'SUBMITTED',
  UPDATE: 'UPDATED',
  WITHDRAW: 'WITHDRAWN',
  APPROVE: 'APPROVED',
  REJECT: 'REJECTED',
  REQUEST_CHANGES: 'CHANGES_REQUESTED',
  SCHEDULE: 'SCHEDULED',
  START_PUBLISHING: 'PUBLISHING',
  SETTLE_PUBLISHED: 'PUBLISHED',
  SETTLE_PARTIALLY_PUBLISHED: 'PARTIALLY_PUBLISHED',
  SETTLE_FAILED: 'PUBLISH_FAILED',
};

/** The body of the current version of a stored content item. */
export function bodyOf(c: Content): ContentBody {
  return {
    kind: c.kind,
    priority: c.priority,
    title: c.title,
    body: c.body,
    hashtags: c.hashtags,
    link: c.link,
    media: c.media,
    evidence: c.evidence,
    desiredPublishAt: c.desiredPublishAt,
    targetAccountIds: c.targetAccountIds,
    overrides: c.overrides,
  };
}

/** Every violation of a report: content-level first, then each target's. */
export function allViolations(report: ComplianceReport): Violation[] {
  return [...report.violations, ...report.variants.flatMap((v) => v.violations)];
}

/** A report as the API's variants: content-level violations block every target, so each carries them. */
export function variantsOf(report: ComplianceReport): PlatformVariantView[] {
  return report.variants.map((v) => ({
    account: { id: v.accountId },
    platform: v.platform,
    text: v.text,
    weightedLength: v.weightedLength,
    violations: [...report.violations, ...v.violations],
  }));
}

@Injectable()
export class ContentService {
  constructor(
    private readonly ds: DataSource,
    private readonly events: EventPublisher,
    private readonly audit: AuditTrail,
    private readonly accounts: AccountsService,
    private readonly compliance: ComplianceService,
  ) {}

  /** A content item the caller may see, or NOT_FOUND (the same answer whether it exists elsewhere or not). */
  async get(caller: Principal, id: string): Promise<Content> {
    const content = await this.findVisible(caller, id);
    if (!content) throw new NotFoundError('Content', id);
    return content;
  }

  /** For federation: resolves a reference, or null when the caller may not see it. */
  async findVisible(caller: Principal, id: string): Promise<Content | null> {
    if (!isUuid(id)) return null;
    const content = await asCaller(this.ds, caller, (em) => em.findOneBy(Content, { id }));
    return content && canAccessDepartment(caller, content.departmentId) ? content : null;
  }

  /**
   * A new DRAFT (version 1) in a department the caller may write to. With an idempotency key, a
   * repeat answers the first draft (no second row, event or audit entry); see `idempotent`.
   */
  async create(
    caller: Principal,
    departmentId: string,
    input: ContentBody,
    idempotency?: IdempotencyRequest,
  ): Promise<Content> {
    if (!hasRole(caller, ...AUTHOR_ROLES)) throw new ForbiddenError('Only editors may create content');
    return asCaller(this.ds, caller, (em) =>
      idempotent(em, {
        operation: 'createContent',
        caller,
        idempotency,
        create: () => this.insertDraft(em, caller, departmentId, input),
        idOf: (content) => content.id,
        replay: async (id) => {
          const content = await em.findOneBy(Content, { id });
          return content && canAccessDepartment(caller, content.departmentId) ? content : null;
        },
      }),
    );
  }

  private async insertDraft(
    em: EntityManager,
    caller: Principal,
    departmentId: string,
    input: ContentBody,
  ): Promise<Content> {
    const department = isUuid(departmentId) ? await em.findOneBy(Department, { id: departmentId }) : null;
    if (!department || !canAccessDepartment(caller, department.id))
      throw new NotFoundError('Department', departmentId);
    await this.assertWellFormed(em, department.id, input);
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
      searchText: searchTextOf(input),
    });
    await em.insert(Content, content);
    delete content.searchText;
    await this.insertVersion(em, content, input, caller, now);
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
        snapshot: snapshotOf(content),
        actor: actorOf(caller),
      },
    });
    return content;
  }

  /**
   * An edit (DRAFT or CHANGES_REQUESTED only) based on `expectedVersion`: it makes the next
   * version. A stale version answers CONFLICT and changes nothing; of two edits of the same
   * version, the row lock lets exactly one through and the other sees the newer version.
   */
  async update(caller: Principal, id: string, expectedVersion: number, input: ContentBody): Promise<Content> {
    if (!hasRole(caller, ...AUTHOR_ROLES)) throw new ForbiddenError('Only editors may edit content');
    return asCaller(this.ds, caller, async (em) => {
      const content = await this.lockVisible(em, caller, id);
      statusAfter('UPDATE', content.status);
      if (content.version !== expectedVersion)
        throw new ConflictError(
          `Content ${id} is at version ${content.version}, not ${expectedVersion}: someone else saved it first. ` +
            'Reload it and apply your changes again.',
        );
      await this.assertWellFormed(em, content.departmentId, input);
      const now = new Date();
      const version = content.version + 1;
      const next: Content = { ...content, ...input, version, updatedAt: now };
      await this.insertVersion(em, next, input, caller, now);
      await em.update(
        Content,
        { id: content.id },
        { ...input, version, updatedAt: now, searchText: searchTextOf(input) },
      );
      await this.audit.record(em, {
        contentId: content.id,
        departmentId: content.departmentId,
        actor: caller.subject,
        action: AUDIT_ACTION.UPDATE,
        note: `Version ${version}`,
        at: now,
      });
      await this.events.publish(em, {
        schema: ContentUpdatedSchema,
        message: {
          contentId: content.id,
          departmentId: content.departmentId,
          snapshot: snapshotOf(next),
          previousVersion: expectedVersion,
          actor: actorOf(caller),
        },
      });
      return next;
    });
  }

  /**
   * DRAFT or CHANGES_REQUESTED → IN_REVIEW once the content is well formed (BAD_USER_INPUT) and
   * passes every compliance rule (COMPLIANCE_VIOLATION); approval opens its workflow from the event.
   */
  async submit(caller: Principal, id: string): Promise<Content> {
    if (!hasRole(caller, ...AUTHOR_ROLES)) throw new ForbiddenError('Only editors may submit content');
    return asCaller(this.ds, caller, async (em) => {
      const content = await this.lockVisible(em, caller, id);
      statusAfter('SUBMIT', content.status);
      const body = bodyOf(content);
      const targets = await this.accounts.resolve(em, content.departmentId, body.targetAccountIds);
      const structural = [...structuralViolations(body, true), ...targets.violations];
      if (structural.length)
        throw new BadInputError('The content has problems to fix before it can be submitted', structural);
      const report = await this.compliance.check(em, content.departmentId, body, targets.accounts);
      if (!report.ok)
        throw new DomainError(
          'COMPLIANCE_VIOLATION',
          'The content breaks compliance rules; fix every violation and submit again',
          allViolations(report),
        );
      const now = new Date();
      await this.transition(em, content, 'SUBMIT', actorOf(caller), now);
      // Whoever wrote any version (overrides are part of a version) may not approve it.
      const writers: { created_by: string }[] = await em.query(
        `SELECT DISTINCT created_by FROM content_versions WHERE content_id = $1 ORDER BY created_by`,
        [content.id],
      );
      await this.events.publish(em, {
        schema: ContentSubmittedSchema,
        message: {
          contentId: content.id,
          departmentId: content.departmentId,
          snapshot: snapshotOf(content),
          actor: actorOf(caller),
          submittedAt: timestampFromDate(now),
          contributors: writers.map((w) => w.created_by),
        },
      });
      return content;
    });
  }

  /** Any status before PUBLISHING → WITHDRAWN, with the person's reason (required). */
  async withdraw(caller: Principal, id: string, reason: string): Promise<Content> {
    if (!hasRole(caller, ...AUTHOR_ROLES)) throw new ForbiddenError('Only editors may withdraw content');
    const why = reason.trim();
    if (!why)
      throw new BadInputError('Say why the content is withdrawn', [
        { field: 'reason', rule: 'REQUIRED', message: 'A reason is required to withdraw content' },
      ]);
    return asCaller(this.ds, caller, async (em) => {
      const content = await this.lockVisible(em, caller, id);
      const from = content.status;
      await this.transition(em, content, 'WITHDRAW', actorOf(caller), new Date(), why);
      await this.events.publish(em, {
        schema: ContentWithdrawnSchema,
        message: {
          contentId: content.id,
          departmentId: content.departmentId,
          version: content.version,
          actor: actorOf(caller),
          reason: why,
          fromStatus: statusOf(from),
        },
      });
      return content;
    });
  }

  /**
   * What submission would say about this input, without saving anything: structural problems
   * are BAD_USER_INPUT as at submission; compliance problems come back per target.
   */
  async validate(
    caller: Principal,
    departmentId: string,
    input: ContentBody,
  ): Promise<PlatformVariantView[]> {
    return asCaller(this.ds, caller, async (em) => {
      const department = isUuid(departmentId) ? await em.findOneBy(Department, { id: departmentId }) : null;
      if (!department || !canAccessDepartment(caller, department.id))
        throw new NotFoundError('Department', departmentId);
      const targets = await this.accounts.resolve(em, department.id, input.targetAccountIds);
      const structural = [...structuralViolations(input, true), ...targets.violations];
      if (structural.length) throw new BadInputError('The content has problems to fix', structural);
      return variantsOf(await this.compliance.check(em, department.id, input, targets.accounts));
    });
  }

  /** The current version's variants, one per known target account (an unknown one has no platform). */
  async variants(caller: Principal, content: Content): Promise<PlatformVariantView[]> {
    return asCaller(this.ds, caller, async (em) => {
      const { accounts } = await this.accounts.resolve(em, content.departmentId, content.targetAccountIds);
      return variantsOf(await this.compliance.check(em, content.departmentId, bodyOf(content), accounts));
    });
  }

  /** The content's audit trail, as the caller may see it. */
  history(caller: Principal, content: Content): Promise<AuditEntry[]> {
    // The latest 500 entries (the gateway's cost estimate counts on it; the export has them all).
    return asCaller(this.ds, caller, async (em) => (await this.audit.history(em, content.id)).slice(-500));
  }

  /**
   * ContentApproved / ContentRejected / ChangesRequested, in the event's (platform) transaction.
   * Ignored for unknown content or a version that is not the current one; a transition the
   * lifecycle refuses is CONFLICT (the handler logs it and moves on).
   */
  async applyApprovalOutcome(em: EntityManager, outcome: ApprovalOutcome): Promise<EventEffect> {
    const content = await this.lock(em, outcome.contentId);
    if (!content || content.version !== outcome.version) return 'ignored';
    await this.transition(
      em,
      content,
      outcome.operation,
      outcome.actor,
      new Date(),
      outcome.note || undefined,
    );
    // Publications that arrived before the approval (three topics, no order between them) count now.
    if (outcome.operation === 'APPROVE') await this.settleStatus(em, content);
    return 'applied';
  }

  /**
   * One publication's progress (the scheduler's and the publisher's events), in the event's
   * transaction. The publication's state only moves forward (`advancePublication`: a late, older
   * state never overwrites a newer one), then the content's status is derived again from its
   * approval and all of its publications (`settleStatus`). `version` absent (held and cancelled
   * events carry none): the current one, since an approved content is never edited again.
   */
  async applyPublicationProgress(
    em: EntityManager,
    progress: {
      contentId: string;
      version?: number;
      publicationId: string;
      accountId: string;
      state: PublicationProgressState;
    },
  ): Promise<EventEffect> {
    const content = await this.lock(em, progress.contentId);
    if (!content || content.version !== (progress.version ?? content.version)) return 'ignored';
    const [known]: { state: PublicationProgressState; version: number }[] = await em.query(
      `SELECT state, version FROM publication_progress WHERE publication_id = $1`,
      [progress.publicationId],
    );
    if (known && known.version !== content.version) return 'ignored';
    const state = advancePublication(known?.state, progress.state);
    if (!known)
      await em.query(
        `INSERT INTO publication_progress (publication_id, content_id, department_id, version, account_id, state, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, now())`,
        [
          progress.publicationId,
          content.id,
          content.departmentId,
          content.version,
          progress.accountId,
          state,
        ],
      );
    else if (state !== known.state)
      await em.query(
        `UPDATE publication_progress SET state = $2, updated_at = now() WHERE publication_id = $1`,
        [progress.publicationId, state],
      );
    await this.settleStatus(em, content);
    return 'applied';
  }

  /**
   * Derives the content's status from its approval and every publication of its current version
   * (`stepsToward`), and takes each lifecycle step to it, with its audit entry and event, in the
   * caller's transaction (which holds the row lock). Returns the steps taken (none: it was right).
   */
  async settleStatus(em: EntityManager, content: Content, at = new Date()): Promise<DerivedStep[]> {
    const publications: PublicationFact[] = await em.query(
      `SELECT account_id AS "accountId", state FROM publication_progress WHERE content_id = $1 AND version = $2`,
      [content.id, content.version],
    );
    const steps = stepsToward(content.status, content.targetAccountIds, publications);
    for (const step of steps)
      await this.transition(
        em,
        content,
        step.operation,
        STEP_ACTOR[step.operation] ?? SCHEDULER_ACTOR,
        at,
        step.note,
      );
    return steps;
  }

  /**
   * Every approved content whose status is behind its publications (stuck before this derivation
   * existed, or by any other means) is brought to the status they call for, each step on the audit
   * trail. Runs as the platform, one content per transaction; returns what it repaired.
   */
  async reconcileStatuses(): Promise<{ contentId: string; from: ContentStatus; to: ContentStatus }[]> {
    const candidates: { id: string }[] = await asPlatform(this.ds, (em) =>
      em.query(
        `SELECT DISTINCT c.id FROM contents c
           JOIN publication_progress p ON p.content_id = c.id AND p.version = c.version
          WHERE c.status IN ('APPROVED', 'SCHEDULED', 'PUBLISHING')
          ORDER BY c.id`,
      ),
    );
    const repaired: { contentId: string; from: ContentStatus; to: ContentStatus }[] = [];
    for (const { id } of candidates) {
      await asPlatform(this.ds, async (em) => {
        const content = await this.lock(em, id);
        if (!content) return;
        const from = content.status;
        const steps = await this.settleStatus(em, content);
        if (steps.length) repaired.push({ contentId: id, from, to: content.status });
      });
    }
    return repaired;
  }

  /** ApprovalEscalated: an audit entry on the content under review, no status change. */
  async recordEscalation(
    em: EntityManager,
    escalation: { contentId: string; version: number; actor: string; note: string },
  ): Promise<EventEffect> {
    const content = await this.lock(em, escalation.contentId);
    if (!content || content.version !== escalation.version || content.status !== 'IN_REVIEW')
      return 'ignored';
    await this.audit.record(em, {
      contentId: content.id,
      departmentId: content.departmentId,
      actor: escalation.actor,
      action: 'ESCALATED',
      note: escalation.note,
    });
    return 'applied';
  }

  /** Refuses input that is not well formed, including target ids that are not the department's accounts. */
  private async assertWellFormed(em: EntityManager, departmentId: string, input: ContentBody): Promise<void> {
    const { violations: unknown } = await this.accounts.resolve(em, departmentId, input.targetAccountIds);
    const violations = [...structuralViolations(input), ...unknown];
    if (violations.length) throw new BadInputError('The content has problems to fix', violations);
  }

  private async insertVersion(
    em: EntityManager,
    content: Content,
    body: ContentBody,
    caller: Principal,
    at: Date,
  ): Promise<void> {
    try {
      await em.insert(ContentVersion, {
        contentId: content.id,
        version: content.version,
        departmentId: content.departmentId,
        snapshot: body,
        createdBy: caller.subject,
        createdAt: at,
      });
    } catch (err) {
      // The row lock makes this unreachable; the primary key is the last line of defence.
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === '23505')
        throw new ConflictError(
          `Version ${content.version} of content ${content.id} was saved by someone else`,
        );
      throw err;
    }
  }

  private lock(em: EntityManager, id: string): Promise<Content | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return em.findOne(Content, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  private async lockVisible(em: EntityManager, caller: Principal, id: string): Promise<Content> {
    const content = await this.lock(em, id);
    if (!content || !canAccessDepartment(caller, content.departmentId))
      throw new NotFoundError('Content', id);
    return content;
  }

  /**
   * Moves content through the lifecycle table (CONFLICT when it refuses), records the audit entry
   * and emits ContentStatusChanged, all in the caller's transaction (which holds the row lock).
   */
  private async transition(
    em: EntityManager,
    content: Content,
    operation: LifecycleOperation,
    actor: ActorInit,
    at: Date,
    note?: string,
  ): Promise<void> {
    const from: ContentStatus = content.status;
    const to = statusAfter(operation, from);
    await em.update(Content, { id: content.id }, { status: to, updatedAt: at });
    await this.audit.record(em, {
      contentId: content.id,
      departmentId: content.departmentId,
      actor: actor.subject ?? '',
      action: AUDIT_ACTION[operation],
      fromStatus: from,
      toStatus: to,
      note,
      at,
    });
    await this.events.publish(em, {
      schema: ContentStatusChangedSchema,
      message: {
        contentId: content.id,
        departmentId: content.departmentId,
        version: content.version,
        fromStatus: statusOf(from),
        toStatus: statusOf(to),
        actor,
        note: note ?? '',
      },
    });
    content.status = to;
    content.updatedAt = at;
  }
}
