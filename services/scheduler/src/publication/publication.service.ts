import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Brackets, DataSource, In, type EntityManager } from 'typeorm';
import {
  BadInputError,
  canAccessDepartment,
  ConflictError,
  departmentScope,
  ForbiddenError,
  hasRole,
  NotFoundError,
  type Principal,
  type Role,
} from '@prasar/auth';
import { awaitPrerequisite, EventPublisher } from '@prasar/kafka';
import { asCaller } from '@prasar/persistence';
import { BlackoutWindow, DepartmentRegion } from '../blackout/blackout.entity';
import { holds, isActive } from '../blackout/blackout.rules';
import { nextFreeSlot, pacingConflict } from './pacing';
import { Account, ApprovedContent, Publication, type HoldReason } from './publication.entity';
import { PublicationEvents } from './publication.events';

/** Roles that schedule and cancel a department's publications. */
/** How many publications a calendar answers by default, and at most (the gateway counts by `first`). */
export const CALENDAR_DEFAULT_SIZE = 500;
export const CALENDAR_MAX_SIZE = 5000;

export const SCHEDULER_ROLES: Role[] = ['DEPT_EDITOR', 'DEPT_ADMIN', 'INTEGRATION', 'IT_CELL_ADMIN'];

/** States in which a publication occupies its account's slot. */
const OCCUPYING = ['SCHEDULED', 'HELD', 'PUBLISHING', 'PUBLISHED'];
/** States from which a person may still move or cancel a publication. */
const MOVABLE = ['SCHEDULED', 'HELD'];

const isUuid = (v: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);

export interface ScheduleRequest {
  contentId: string;
  at?: Date | null;
  nextFreeSlot?: boolean | null;
}

@Injectable()
export class PublicationService {
  readonly events: PublicationEvents;

  constructor(
    private readonly ds: DataSource,
    publisher: EventPublisher,
  ) {
    this.events = new PublicationEvents(publisher);
  }

  /** Schedules (or re-times) every target of an approved content item: at a time, or each at its next free slot. */
  async schedule(caller: Principal, input: ScheduleRequest, now = new Date()): Promise<Publication[]> {
    if (!hasRole(caller, ...SCHEDULER_ROLES))
      throw new ForbiddenError('Your role may not schedule publications');
    const useNextFree = input.nextFreeSlot === true;
    if (!useNextFree && !input.at) {
      throw new BadInputError('Give a time or ask for the next free slot', [
        { field: 'at', rule: 'REQUIRED', message: 'Give `at`, or set `nextFreeSlot: true`' },
      ]);
    }
    if (!useNextFree && input.at && input.at.getTime() < now.getTime() - 60_000) {
      throw new BadInputError('The time is in the past', [
        { field: 'at', rule: 'NOT_IN_PAST', message: 'A publication cannot be scheduled in the past' },
      ]);
    }
    // Read-your-writes: a schedule right after the approval waits (bounded) for this service to
    // have consumed ContentApproved, instead of refusing the caller; absent after that, NOT_FOUND.
    if (isUuid(input.contentId))
      await awaitPrerequisite(() =>
        asCaller(this.ds, caller, (em) =>
          em.findOne(ApprovedContent, { where: { contentId: input.contentId }, select: { contentId: true } }),
        ),
      );
    return asCaller(this.ds, caller, async (em) => {
      const content = isUuid(input.contentId)
        ? await em.findOne(ApprovedContent, {
            where: { contentId: input.contentId },
            lock: { mode: 'pessimistic_write' },
          })
        : null;
      if (!content || !canAccessDepartment(caller, content.departmentId)) {
        throw new NotFoundError('Approved content', input.contentId);
      }
      if (content.withdrawn) throw new ConflictError('The content was withdrawn');
      const result: Publication[] = [];
      // Accounts in a fixed order, so concurrent scheduling locks them without deadlock.
      for (const accountId of [...content.targetAccountIds].sort()) {
        result.push(
          await this.scheduleTarget(em, caller, content, accountId, input.at ?? now, useNextFree, now),
        );
      }
      return result;
    });
  }

  private async scheduleTarget(
    em: EntityManager,
    caller: Principal,
    content: ApprovedContent,
    accountId: string,
    wanted: Date,
    useNextFree: boolean,
    now: Date,
  ): Promise<Publication> {
    const account = await em.findOne(Account, {
      where: { id: accountId },
      lock: { mode: 'pessimistic_write' },
    });
    if (!account || account.departmentId !== content.departmentId) {
      throw new BadInputError('A target account is not connected', [
        {
          field: 'targetAccountIds',
          rule: 'UNKNOWN_ACCOUNT',
          message: `Account ${accountId} is not connected to this department`,
        },
      ]);
    }
    const existing = await em.findOne(Publication, {
      where: {
        contentId: content.contentId,
        contentVersion: content.version,
        accountId,
        state: In([...OCCUPYING, 'FAILED']),
      },
    });
    if (existing && !MOVABLE.includes(existing.state)) {
      throw new ConflictError(
        `The publication to ${account.handle} is already ${existing.state.toLowerCase()}`,
      );
    }
    const taken = await this.takenTimes(em, accountId, existing?.id);
    const pacing = { minGapMinutes: account.minGapMinutes, dailyCap: account.dailyCap };
    let at = wanted;
    if (useNextFree) at = nextFreeSlot(taken, pacing, wanted.getTime() < now.getTime() ? now : wanted);
    else {
      const conflict = pacingConflict(taken, pacing, at);
      if (conflict) {
        const free = nextFreeSlot(taken, pacing, at);
        throw new ConflictError(
          `${account.handle}: ${conflict}; the next free slot is ${free.toISOString()}`,
        );
      }
    }
    const publication =
      existing ??
      em.create(Publication, {
        id: randomUUID(),
        contentId: content.contentId,
        departmentId: content.departmentId,
        accountId,
        platform: account.platform,
        contentVersion: content.version,
        dispatches: 0,
        attempts: 0,
        createdAt: now,
      });
    const wasHeldFor = existing?.state === 'HELD' ? existing.holdReason : null;
    Object.assign(publication, {
      scheduledAt: at,
      state: 'SCHEDULED',
      holdReason: null,
      heldDetail: null,
      blackoutId: null,
      publishedAt: null,
      externalId: null,
      url: null,
      lastError: null,
      updatedAt: now,
    });
    if (account.status !== 'ACTIVE') {
      this.markHeld(publication, 'ACCOUNT_NEEDS_REAUTH', `${account.handle} must be reconnected`, null, now);
    } else {
      const window = await this.blackoutHolding(em, content, at);
      if (window) this.markHeld(publication, 'BLACKOUT', blackoutDetail(window), window.id, now);
    }
    await em.save(Publication, publication);
    if (wasHeldFor && publication.state === 'SCHEDULED')
      await this.events.released(em, publication, wasHeldFor, caller);
    await this.events.scheduled(em, publication, useNextFree, caller);
    if (publication.state === 'HELD') {
      await this.events.held(
        em,
        publication,
        publication.holdReason as HoldReason,
        publication.heldDetail ?? '',
      );
    }
    return publication;
  }

  /** Cancels a publication that has not started publishing. */
  async cancel(caller: Principal, id: string, reason: string, now = new Date()): Promise<Publication> {
    if (!hasRole(caller, ...SCHEDULER_ROLES))
      throw new ForbiddenError('Your role may not cancel publications');
    if (!reason.trim()) {
      throw new BadInputError('Say why the publication is cancelled', [
        { field: 'reason', rule: 'REQUIRED', message: 'A reason is required (it goes on record)' },
      ]);
    }
    return asCaller(this.ds, caller, async (em) => {
      const p = isUuid(id)
        ? await em.findOne(Publication, { where: { id }, lock: { mode: 'pessimistic_write' } })
        : null;
      if (!p || !canAccessDepartment(caller, p.departmentId)) throw new NotFoundError('Publication', id);
      if (!MOVABLE.includes(p.state))
        throw new ConflictError(`A ${p.state.toLowerCase()} publication cannot be cancelled`);
      await this.cancelRow(em, p, reason.trim(), now, caller);
      return p;
    });
  }

  async cancelRow(
    em: EntityManager,
    p: Publication,
    reason: string,
    now: Date,
    actor?: Principal,
  ): Promise<void> {
    p.state = 'CANCELLED';
    p.lastError = null;
    p.updatedAt = now;
    await em.save(Publication, p);
    await this.events.cancelled(em, p, reason, actor);
  }

  /** The calendar: publications in a period, the caller's department (or one the IT cell names). */
  calendar(
    caller: Principal,
    from: Date,
    to: Date,
    departmentId?: string | null,
    first = CALENDAR_DEFAULT_SIZE,
  ): Promise<Publication[]> {
    if (!Number.isInteger(first) || first < 1 || first > CALENDAR_MAX_SIZE) {
      throw new BadInputError('The calendar size is out of range', [
        { field: 'first', rule: 'RANGE', message: `first is 1-${CALENDAR_MAX_SIZE}` },
      ]);
    }
    if (to.getTime() <= from.getTime()) {
      throw new BadInputError('The period is empty', [
        { field: 'to', rule: 'AFTER_FROM', message: '`to` must be after `from`' },
      ]);
    }
    if (to.getTime() - from.getTime() > 92 * 86_400_000) {
      throw new BadInputError('The period is too long', [
        { field: 'to', rule: 'MAX_PERIOD', message: 'A calendar covers at most 92 days' },
      ]);
    }
    return asCaller(this.ds, caller, (em) => {
      const scope = departmentScope(caller);
      const qb = em
        .createQueryBuilder(Publication, 'p')
        .where('p.scheduled_at >= :from AND p.scheduled_at < :to', { from, to })
        .orderBy('p.scheduled_at', 'ASC')
        .addOrderBy('p.id', 'ASC')
        .limit(first);
      if (scope) qb.andWhere('p.department_id = :scope', { scope });
      if (departmentId)
        qb.andWhere('p.department_id = :departmentId', {
          departmentId: isUuid(departmentId) ? departmentId : scope,
        });
      return qb.getMany();
    });
  }

  /** Content.publications: every publication of the content, newest version first. */
  forContent(caller: Principal, contentId: string): Promise<Publication[]> {
    if (!isUuid(contentId)) return Promise.resolve([]);
    return asCaller(this.ds, caller, (em) =>
      em.find(Publication, {
        where: { contentId },
        order: { contentVersion: 'DESC', scheduledAt: 'ASC', accountId: 'ASC' },
      }),
    );
  }

  async byId(caller: Principal, id: string): Promise<Publication | null> {
    if (!isUuid(id)) return null;
    return asCaller(this.ds, caller, (em) => em.findOneBy(Publication, { id }));
  }

  markHeld(p: Publication, reason: HoldReason, detail: string, blackoutId: string | null, now: Date): void {
    p.state = 'HELD';
    p.holdReason = reason;
    p.heldDetail = detail;
    p.blackoutId = blackoutId;
    p.updatedAt = now;
  }

  /** Holds a publication (outbox event included). */
  async hold(
    em: EntityManager,
    p: Publication,
    reason: HoldReason,
    detail: string,
    blackoutId: string | null,
    now: Date,
  ) {
    this.markHeld(p, reason, detail, blackoutId, now);
    await em.save(Publication, p);
    await this.events.held(em, p, reason, detail);
  }

  /**
   * Puts a held publication back on the schedule at the first slot its account's pacing (minimum
   * gap, daily cap) allows from its own time or now, whichever is later: posts released together
   * (a window ends, an account is reconnected) are spread out, never sent at once. Release them in
   * time order (`releaseAll`) so they keep their order.
   */
  async release(em: EntityManager, p: Publication, now: Date, actor?: Principal): Promise<void> {
    const from = p.holdReason as HoldReason;
    const account = await em.findOne(Account, {
      where: { id: p.accountId },
      lock: { mode: 'pessimistic_write' },
    });
    const earliest = p.scheduledAt.getTime() < now.getTime() ? now : p.scheduledAt;
    if (account) {
      // Held posts do not occupy a slot here: they are the ones being re-slotted.
      const taken = await this.takenTimes(em, p.accountId, p.id, ['SCHEDULED', 'PUBLISHING', 'PUBLISHED']);
      p.scheduledAt = nextFreeSlot(
        taken,
        { minGapMinutes: account.minGapMinutes, dailyCap: account.dailyCap },
        earliest,
      );
    } else p.scheduledAt = earliest;
    p.state = 'SCHEDULED';
    p.holdReason = null;
    p.heldDetail = null;
    p.blackoutId = null;
    p.updatedAt = now;
    await em.save(Publication, p);
    await this.events.released(em, p, from, actor);
  }

  /** Releases held publications in the order they were scheduled (see `release`). */
  async releaseAll(em: EntityManager, held: Publication[], now: Date, actor?: Principal): Promise<void> {
    const ordered = [...held].sort(
      (a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime() || a.id.localeCompare(b.id),
    );
    for (const p of ordered) await this.release(em, p, now, actor);
  }

  /** The window in force at `at` that holds this content for its department, if any. */
  async blackoutHolding(
    em: EntityManager,
    content: ApprovedContent,
    at: Date,
  ): Promise<BlackoutWindow | null> {
    const windows = await em
      .createQueryBuilder(BlackoutWindow, 'w')
      .where('w.starts_at <= :at AND w.ends_at > :at', { at })
      .andWhere(new Brackets((b) => b.where('w.ended_at IS NULL').orWhere('w.ended_at > :at', { at })))
      .getMany();
    if (windows.length === 0) return null;
    const regions = (await em.find(DepartmentRegion, { where: { departmentId: content.departmentId } })).map(
      (r) => r.region,
    );
    return windows.find((w) => isActive(w, at) && holds(w, content, regions)) ?? null;
  }

  private async takenTimes(
    em: EntityManager,
    accountId: string,
    except?: string,
    states: readonly string[] = OCCUPYING,
  ): Promise<Date[]> {
    const rows = await em
      .createQueryBuilder(Publication, 'p')
      .select('p.scheduled_at', 'at')
      .where('p.account_id = :accountId', { accountId })
      .andWhere('p.state IN (:...states)', { states })
      .andWhere("p.scheduled_at > now() - interval '2 days'")
      .andWhere(except ? 'p.id <> :except' : 'TRUE', { except })
      .getRawMany<{ at: Date }>();
    return rows.map((r) => new Date(r.at));
  }
}

export function blackoutDetail(w: BlackoutWindow): string {
  return `Model Code of Conduct until ${w.endsAt.toISOString()}: ${w.reason}`;
}
