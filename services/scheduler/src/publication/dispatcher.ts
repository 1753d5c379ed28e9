import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { asPlatform } from '@prasar/persistence';
import { PeriodicTask } from '@prasar/service';
import { createCounter, createLogger } from '@prasar/telemetry';
import { BlackoutWindow } from '../blackout/blackout.entity';
import { Account, ApprovedContent, Publication } from './publication.entity';
import { blackoutDetail, PublicationService } from './publication.service';

const logger = createLogger('dispatcher');

/** Injection token: milliseconds between dispatch rounds. */
export const DISPATCH_INTERVAL_MS = Symbol('DISPATCH_INTERVAL_MS');
const dispatched = createCounter<{ platform: string }>(
  'prasar_scheduler_dispatched',
  'Publications handed to the publisher, by platform',
);

/**
 * Claims due publications with FOR UPDATE SKIP LOCKED (any number of replicas can run, none claims
 * a row another holds), checks blackouts and account health once more, and asks the publisher to
 * publish. Also holds what a window in force covers although it was already handed to the
 * publisher, and releases the posts of blackout windows that have run out.
 */
@Injectable()
export class Dispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop: PeriodicTask;

  constructor(
    private readonly ds: DataSource,
    private readonly publications: PublicationService,
    @Optional() @Inject(DISPATCH_INTERVAL_MS) intervalMs: number = 250,
  ) {
    this.loop = new PeriodicTask(
      'dispatch',
      intervalMs,
      () => Promise.all([this.dispatchDue(), this.holdHandedOverInWindows(), this.releaseExpiredBlackouts()]),
      logger,
    );
  }

  onApplicationBootstrap(): void {
    this.loop.start({ immediate: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** One round: claims up to `limit` due publications; returns the ids asked to publish. */
  async dispatchDue(now = new Date(), limit = 200): Promise<string[]> {
    return asPlatform(this.ds, async (em) => {
      const due = await em
        .createQueryBuilder(Publication, 'p')
        .where(`p.state = 'SCHEDULED' AND p.scheduled_at <= :now`, { now })
        .orderBy('p.scheduled_at', 'ASC')
        .limit(limit)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      const sent: string[] = [];
      for (const p of due) {
        const content = await em.findOneBy(ApprovedContent, { contentId: p.contentId });
        const account = await em.findOneBy(Account, { id: p.accountId });
        if (!content || content.withdrawn) {
          await this.publications.cancelRow(em, p, 'The content was withdrawn', now);
          continue;
        }
        if (!account || account.status !== 'ACTIVE') {
          await this.publications.hold(
            em,
            p,
            'ACCOUNT_NEEDS_REAUTH',
            `${account?.handle ?? p.accountId} must be reconnected`,
            null,
            now,
          );
          continue;
        }
        const window = await this.publications.blackoutHolding(em, content, now);
        if (window) {
          await this.publications.hold(em, p, 'BLACKOUT', blackoutDetail(window), window.id, now);
          continue;
        }
        p.state = 'PUBLISHING';
        p.dispatches += 1;
        p.updatedAt = now;
        await em.save(Publication, p);
        await this.publications.events.publishRequested(em, p, content);
        dispatched.add(1, { platform: p.platform });
        sent.push(p.id);
      }
      return sent;
    });
  }

  /**
   * Posts already handed to the publisher (`PUBLISHING`: retrying there) or held there for a
   * reconnect (`HELD` for `ACCOUNT_NEEDS_REAUTH`) must not go out inside a window either: while a
   * window is in force, those it covers are held for it (`PublicationHeld`, which the publisher
   * obeys) and released with the window's other posts when it ends. A reconnect then changes
   * nothing until the window ends; the dispatcher checks the account again at release.
   */
  async holdHandedOverInWindows(now = new Date()): Promise<number> {
    return asPlatform(this.ds, async (em) => {
      const inForce = await em
        .createQueryBuilder(BlackoutWindow, 'w')
        .where('w.starts_at <= :now AND w.ends_at > :now AND (w.ended_at IS NULL OR w.ended_at > :now)', {
          now,
        })
        .getCount();
      if (inForce === 0) return 0;
      const handedOver = await em
        .createQueryBuilder(Publication, 'p')
        .where(`p.state = 'PUBLISHING' OR (p.state = 'HELD' AND p.hold_reason = 'ACCOUNT_NEEDS_REAUTH')`)
        .orderBy('p.scheduled_at', 'ASC')
        .limit(500)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      let held = 0;
      for (const p of handedOver) {
        const content = await em.findOneBy(ApprovedContent, { contentId: p.contentId });
        const window = content ? await this.publications.blackoutHolding(em, content, now) : null;
        if (!window) continue;
        await this.publications.hold(em, p, 'BLACKOUT', blackoutDetail(window), window.id, now);
        held += 1;
      }
      return held;
    });
  }

  /** Windows whose end has passed release their held posts (once). */
  async releaseExpiredBlackouts(now = new Date()): Promise<number> {
    return asPlatform(this.ds, async (em) => {
      const windows = await em
        .createQueryBuilder(BlackoutWindow, 'w')
        .where('w.released_at IS NULL AND (w.ends_at <= :now OR w.ended_at <= :now)', { now })
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      let released = 0;
      for (const w of windows) {
        const held = await em.find(Publication, {
          where: { blackoutId: w.id, state: 'HELD', holdReason: 'BLACKOUT' },
          lock: { mode: 'pessimistic_write' },
        });
        const toRelease: Publication[] = [];
        for (const p of held) {
          const content = await em.findOneBy(ApprovedContent, { contentId: p.contentId });
          const another = content ? await this.publications.blackoutHolding(em, content, now) : null;
          if (another) {
            // Still inside another window: move the hold to it.
            p.blackoutId = another.id;
            p.heldDetail = blackoutDetail(another);
            await em.save(Publication, p);
          } else toRelease.push(p);
        }
        // Re-slotted by their accounts' pacing, in their order, not all at once.
        await this.publications.releaseAll(em, toRelease, now);
        released += toRelease.length;
        await em.update(BlackoutWindow, { id: w.id, releasedAt: IsNull() }, { releasedAt: now });
      }
      return released;
    });
  }
}
