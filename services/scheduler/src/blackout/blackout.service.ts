import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  BadInputError,
  ConflictError,
  ForbiddenError,
  isStateWide,
  NotFoundError,
  type Principal,
} from '@prasar/auth';
import { normalizeRegions } from '@prasar/compliance';
import { BlackoutDeclaredSchema, BlackoutEndedSchema, ContentKind } from '@prasar/contracts';
import { EventPublisher } from '@prasar/kafka';
import { asCaller, asPlatform, idempotent, type IdempotencyRequest } from '@prasar/persistence';
import { ApprovedContent, Publication } from '../publication/publication.entity';
import { actorOf } from '../publication/publication.events';
import { blackoutDetail, PublicationService } from '../publication/publication.service';
import { BlackoutWindow, DepartmentRegion } from './blackout.entity';
import { HELD_KINDS, holds, STATE_WIDE } from './blackout.rules';

export interface BlackoutInput {
  regions: string[];
  startsAt: Date;
  endsAt: Date;
  reason: string;
}

const isUuid = (v: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);

@Injectable()
export class BlackoutService {
  constructor(
    private readonly ds: DataSource,
    private readonly events: EventPublisher,
    private readonly publications: PublicationService,
  ) {}

  /**
   * Declares a window; scheduled posts it affects are held at once, with the reason. With an
   * idempotency key, a repeat answers the first window (no second window, event or hold).
   */
  async declare(
    caller: Principal,
    input: BlackoutInput,
    now = new Date(),
    idempotency?: IdempotencyRequest,
  ): Promise<BlackoutWindow> {
    if (!isStateWide(caller)) throw new ForbiddenError('Only the IT cell declares blackout windows');
    const regions = normalizeRegions(input.regions);
    const v = [];
    if (regions.length === 0)
      v.push({
        field: 'regions',
        rule: 'REQUIRED',
        message: `Name the districts, or "${STATE_WIDE}" for the whole state`,
      });
    if (input.endsAt.getTime() <= input.startsAt.getTime())
      v.push({ field: 'endsAt', rule: 'AFTER_START', message: 'A window must end after it starts' });
    if (input.endsAt.getTime() <= now.getTime())
      v.push({ field: 'endsAt', rule: 'NOT_IN_PAST', message: 'A window must end in the future' });
    if (!input.reason.trim())
      v.push({ field: 'reason', rule: 'REQUIRED', message: 'Give the reason (e.g. the election notified)' });
    if (v.length) throw new BadInputError('The blackout window has problems to fix', v);

    return asPlatform(this.ds, (em) =>
      idempotent(em, {
        operation: 'declareBlackout',
        caller,
        idempotency,
        now,
        create: async () => {
          const window = em.create(BlackoutWindow, {
            id: randomUUID(),
            regions,
            startsAt: input.startsAt,
            endsAt: input.endsAt,
            reason: input.reason.trim(),
            declaredBy: caller.subject,
            endedAt: null,
            releasedAt: null,
          });
          await em.insert(BlackoutWindow, window);
          await this.events.publish(em, {
            schema: BlackoutDeclaredSchema,
            message: {
              blackoutId: window.id,
              regions,
              startsAt: timestampFromDate(window.startsAt),
              endsAt: timestampFromDate(window.endsAt),
              reason: window.reason,
              heldKinds: HELD_KINDS.map((k) => ContentKind[k as keyof typeof ContentKind]),
              actor: actorOf(caller),
            },
          });
          // Hold what is scheduled inside the window now, so departments see it at once.
          const scheduled = await em
            .createQueryBuilder(Publication, 'p')
            .where(`p.state = 'SCHEDULED' AND p.scheduled_at >= :from AND p.scheduled_at < :to`, {
              from: window.startsAt,
              to: window.endsAt,
            })
            .setLock('pessimistic_write')
            .getMany();
          const regionsOf = new Map<string, string[]>();
          for (const p of scheduled) {
            const content = await em.findOneBy(ApprovedContent, { contentId: p.contentId });
            if (!content) continue;
            if (!regionsOf.has(p.departmentId)) {
              const rows = await em.find(DepartmentRegion, { where: { departmentId: p.departmentId } });
              regionsOf.set(
                p.departmentId,
                rows.map((r) => r.region),
              );
            }
            if (holds(window, content, regionsOf.get(p.departmentId) ?? [])) {
              await this.publications.hold(em, p, 'BLACKOUT', blackoutDetail(window), window.id, now);
            }
          }
          return window;
        },
        idOf: (window) => window.id,
        replay: (id) => em.findOneBy(BlackoutWindow, { id }),
      }),
    );
  }

  /** Ends a window early; its held posts are released by the dispatcher's next round. */
  async end(caller: Principal, id: string, now = new Date()): Promise<BlackoutWindow> {
    if (!isStateWide(caller)) throw new ForbiddenError('Only the IT cell ends blackout windows');
    return asPlatform(this.ds, async (em) => {
      const window = isUuid(id)
        ? await em.findOne(BlackoutWindow, { where: { id }, lock: { mode: 'pessimistic_write' } })
        : null;
      if (!window) throw new NotFoundError('Blackout window', id);
      if (window.endedAt || window.endsAt <= now) throw new ConflictError('The window has already ended');
      window.endedAt = now;
      await em.save(BlackoutWindow, window);
      await this.events.publish(em, {
        schema: BlackoutEndedSchema,
        message: {
          blackoutId: window.id,
          endedAt: timestampFromDate(now),
          endedEarly: true,
          actor: actorOf(caller),
        },
      });
      return window;
    });
  }

  /** Windows, all of them or those in force at an instant; visible to every signed-in role. */
  list(caller: Principal, activeAt?: Date | null): Promise<BlackoutWindow[]> {
    return asCaller(this.ds, caller, (em) => {
      const qb = em.createQueryBuilder(BlackoutWindow, 'w').orderBy('w.starts_at', 'DESC').limit(500);
      if (activeAt) {
        qb.where('w.starts_at <= :at AND w.ends_at > :at AND (w.ended_at IS NULL OR w.ended_at > :at)', {
          at: activeAt,
        });
      }
      return qb.getMany();
    });
  }

  /** Which districts a department serves (IT cell): decides which regional windows hold it. */
  async setDepartmentRegions(caller: Principal, departmentId: string, regions: string[]): Promise<string[]> {
    if (!isStateWide(caller)) throw new ForbiddenError('Only the IT cell maps departments to districts');
    if (!isUuid(departmentId)) throw new NotFoundError('Department', departmentId);
    const clean = normalizeRegions(regions);
    return asPlatform(this.ds, async (em) => {
      await em.delete(DepartmentRegion, { departmentId });
      if (clean.length)
        await em.insert(
          DepartmentRegion,
          clean.map((region) => ({ departmentId, region })),
        );
      return clean;
    });
  }
}
