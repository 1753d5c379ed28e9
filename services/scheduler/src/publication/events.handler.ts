import { randomUUID } from 'node:crypto';
import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { toBinary } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  AccountConnectedSchema,
  AccountNeedsReauthSchema,
  ContentApprovedSchema,
  ContentKind,
  ContentSnapshotSchema,
  ContentWithdrawnSchema,
  eventTypeOf,
  Platform as PbPlatform,
  Priority,
  PublicationFailedSchema,
  PublicationPublishedSchema,
  PublishAttemptedSchema,
  type AccountConnected,
  type AccountNeedsReauth,
  type ContentApproved,
  type ContentWithdrawn,
  type PublicationFailed,
  type PublicationPublished,
  type PublishAttempted,
} from '@prasar/contracts';
import { PassThroughRpcFilter, UntrustedEventError, type KafkaEventContext } from '@prasar/kafka';
import { In } from 'typeorm';
import { DEFAULT_PACING, nextFreeSlot, type Platform } from './pacing';
import { Account, ApprovedContent, Publication } from './publication.entity';
import { PublicationService } from './publication.service';

/** What the scheduler learns from approval, intake and the publisher. */
@Controller()
@UseFilters(PassThroughRpcFilter)
export class SchedulerEventsHandler {
  constructor(private readonly publications: PublicationService) {}

  /** An approved version becomes schedulable; a desired time is honoured, or held if it has passed. */
  @EventPattern(eventTypeOf(ContentApprovedSchema))
  async onApproved(@Payload() e: ContentApproved, @Ctx() ctx: KafkaEventContext): Promise<void> {
    const em = ctx.manager;
    const s = e.snapshot;
    if (!s) throw new Error('ContentApproved without a snapshot');
    const now = new Date();
    const content = em.create(ApprovedContent, {
      contentId: e.contentId,
      departmentId: e.departmentId,
      version: e.contentVersion,
      kind: ContentKind[s.kind],
      priority: Priority[s.priority],
      desiredPublishAt: s.desiredPublishAt ? timestampDate(s.desiredPublishAt) : null,
      targetAccountIds: [...s.targetAccountIds],
      snapshot: Buffer.from(toBinary(ContentSnapshotSchema, s)),
      withdrawn: false,
      approvedAt: now,
    });
    // Only accounts this service knows to be the content's department's are ever scheduled.
    const foreign = await em.find(Account, { where: { id: In(content.targetAccountIds) } });
    for (const account of foreign.filter((a) => a.departmentId !== content.departmentId)) {
      throw new UntrustedEventError(
        `ContentApproved ${e.contentId} targets account ${account.id} of another department`,
      );
    }
    await em.save(ApprovedContent, content);
    if (!content.desiredPublishAt) return;
    for (const accountId of [...content.targetAccountIds].sort()) {
      const account = await em.findOne(Account, {
        where: { id: accountId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!account) continue;
      const p = em.create(Publication, {
        id: randomUUID(),
        contentId: content.contentId,
        departmentId: content.departmentId,
        accountId,
        platform: account.platform,
        contentVersion: content.version,
        state: 'SCHEDULED',
        scheduledAt: content.desiredPublishAt,
        holdReason: null,
        heldDetail: null,
        blackoutId: null,
        dispatches: 0,
        attempts: 0,
        publishedAt: null,
        externalId: null,
        url: null,
        lastError: null,
        createdAt: now,
        updatedAt: now,
      });
      if (content.desiredPublishAt.getTime() < now.getTime()) {
        // Approved after the time the department wanted: a person decides, it is never sent late by itself.
        await this.publications.hold(
          em,
          p,
          'DESIRED_TIME_PASSED',
          'Approved after the desired time: reschedule or cancel',
          null,
          now,
        );
        continue;
      }
      const taken = (
        await em.find(Publication, {
          where: { accountId, state: In(['SCHEDULED', 'HELD', 'PUBLISHING', 'PUBLISHED']) },
        })
      ).map((x) => x.scheduledAt);
      p.scheduledAt = nextFreeSlot(taken, account, content.desiredPublishAt);
      await em.save(Publication, p);
      await this.publications.events.scheduled(em, p, false);
    }
  }

  @EventPattern(eventTypeOf(ContentWithdrawnSchema))
  async onWithdrawn(@Payload() e: ContentWithdrawn, @Ctx() ctx: KafkaEventContext): Promise<void> {
    const em = ctx.manager;
    await em.update(ApprovedContent, { contentId: e.contentId }, { withdrawn: true });
    const live = await em.find(Publication, {
      where: { contentId: e.contentId, state: In(['SCHEDULED', 'HELD']) },
      lock: { mode: 'pessimistic_write' },
    });
    for (const p of live) await this.publications.cancelRow(em, p, `Withdrawn: ${e.reason}`, new Date());
  }

  @EventPattern(eventTypeOf(AccountConnectedSchema))
  async onAccountConnected(@Payload() e: AccountConnected, @Ctx() ctx: KafkaEventContext): Promise<void> {
    const em = ctx.manager;
    const platform = PbPlatform[e.platform] as Platform;
    const existing = await em.findOneBy(Account, { id: e.accountId });
    const pacing = existing ?? DEFAULT_PACING[platform];
    await em.save(Account, {
      id: e.accountId,
      departmentId: e.departmentId,
      platform,
      handle: e.handle,
      status: 'ACTIVE',
      minGapMinutes: pacing.minGapMinutes,
      dailyCap: pacing.dailyCap,
    });
    const held = await em.find(Publication, {
      where: { accountId: e.accountId, state: 'HELD', holdReason: 'ACCOUNT_NEEDS_REAUTH' },
      lock: { mode: 'pessimistic_write' },
    });
    await this.publications.releaseAll(em, held, new Date());
  }

  /** A dead token: the account's pending posts are held, not lost, until the department reconnects it. */
  @EventPattern(eventTypeOf(AccountNeedsReauthSchema))
  async onNeedsReauth(@Payload() e: AccountNeedsReauth, @Ctx() ctx: KafkaEventContext): Promise<void> {
    const em = ctx.manager;
    await em.update(Account, { id: e.accountId }, { status: 'NEEDS_REAUTH' });
    const pending = await em.find(Publication, {
      where: { accountId: e.accountId, state: In(['SCHEDULED', 'PUBLISHING']) },
      lock: { mode: 'pessimistic_write' },
    });
    for (const p of pending) {
      await this.publications.hold(
        em,
        p,
        'ACCOUNT_NEEDS_REAUTH',
        `${e.handle} must be reconnected: ${e.reason}`,
        null,
        new Date(),
      );
    }
  }

  @EventPattern(eventTypeOf(PublishAttemptedSchema))
  async onAttempted(@Payload() e: PublishAttempted, @Ctx() ctx: KafkaEventContext): Promise<void> {
    const p = await ctx.manager.findOneBy(Publication, { id: e.publicationId });
    if (!p) return;
    p.attempts = Math.max(p.attempts, e.attempt);
    if (e.error) p.lastError = e.error;
    p.updatedAt = new Date();
    await ctx.manager.save(Publication, p);
  }

  @EventPattern(eventTypeOf(PublicationPublishedSchema))
  async onPublished(@Payload() e: PublicationPublished, @Ctx() ctx: KafkaEventContext): Promise<void> {
    const p = await ctx.manager.findOneBy(Publication, { id: e.publicationId });
    if (!p) return;
    Object.assign(p, {
      state: 'PUBLISHED',
      externalId: e.externalId,
      url: e.url || null,
      publishedAt: e.publishedAt ? timestampDate(e.publishedAt) : new Date(),
      attempts: Math.max(p.attempts, e.attempt),
      holdReason: null,
      heldDetail: null,
      lastError: null,
      updatedAt: new Date(),
    });
    await ctx.manager.save(Publication, p);
  }

  @EventPattern(eventTypeOf(PublicationFailedSchema))
  async onFailed(@Payload() e: PublicationFailed, @Ctx() ctx: KafkaEventContext): Promise<void> {
    const p = await ctx.manager.findOneBy(Publication, { id: e.publicationId });
    if (!p || p.state === 'PUBLISHED') return;
    p.lastError = e.reason;
    if (e.permanent) p.state = 'FAILED';
    p.updatedAt = new Date();
    await ctx.manager.save(Publication, p);
  }
}
