import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  eventTypeOf,
  PublicationCancelledSchema,
  PublicationFailedSchema,
  PublicationHeldSchema,
  PublicationScheduledSchema,
  PublishRequestedSchema,
  type PublicationCancelled,
  type PublicationFailed,
  type PublicationHeld,
  type PublicationScheduled,
  type PublishRequested,
} from '@prasar/contracts';
import { PassThroughRpcFilter, type KafkaEventContext } from '@prasar/kafka';
import { ContentService, type PublicationProgressState } from '../content/content.service';
import type { ActorInit } from '../content/snapshot';

/** Records one publication's progress on the content (shared with PublishEventsHandler). */
export function recordProgress(
  contents: ContentService,
  ctx: KafkaEventContext,
  e: { contentId: string; publicationId: string; accountId: string },
  version: number | undefined,
  state: PublicationProgressState,
  actor: ActorInit,
  note?: string,
) {
  return contents.applyPublicationProgress(ctx.manager, {
    contentId: e.contentId,
    publicationId: e.publicationId,
    accountId: e.accountId,
    version: version ?? -1,
    state,
    actor,
    note,
  });
}

export const PUBLISHER_ACTOR: ActorInit = { subject: 'service:publisher', name: 'Publisher', roles: [] };
const SCHEDULER: ActorInit = { subject: 'service:scheduler', name: 'Scheduler', roles: [] };

/**
 * The scheduler's and the publisher's progress keeps Content.status current after approval:
 * SCHEDULED, PUBLISHING, then PUBLISHED / PARTIALLY_PUBLISHED / FAILED once every target settled.
 */
@Controller()
@UseFilters(PassThroughRpcFilter)
export class PublicationProgressHandler {
  constructor(private readonly contents: ContentService) {}

  private apply(
    ctx: KafkaEventContext,
    e: { contentId: string; publicationId: string; accountId: string },
    version: number | undefined,
    state: PublicationProgressState,
    actor: ActorInit,
    note?: string,
  ) {
    return recordProgress(this.contents, ctx, e, version, state, actor, note);
  }

  @EventPattern(eventTypeOf(PublicationScheduledSchema))
  async onScheduled(@Payload() e: PublicationScheduled, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.apply(ctx, e, e.contentVersion, 'SCHEDULED', e.actor?.subject ? e.actor : SCHEDULER);
  }

  @EventPattern(eventTypeOf(PublishRequestedSchema))
  async onRequested(@Payload() e: PublishRequested, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.apply(ctx, e, e.contentVersion, 'PUBLISHING', SCHEDULER);
  }

  @EventPattern(eventTypeOf(PublicationHeldSchema))
  async onHeld(@Payload() e: PublicationHeld, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.apply(ctx, e, await this.versionOf(ctx, e.publicationId), 'HELD', SCHEDULER, e.detail);
  }

  @EventPattern(eventTypeOf(PublicationCancelledSchema))
  async onCancelled(@Payload() e: PublicationCancelled, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.apply(
      ctx,
      e,
      await this.versionOf(ctx, e.publicationId),
      'CANCELLED',
      e.actor?.subject ? e.actor : SCHEDULER,
      e.reason,
    );
  }

  @EventPattern(eventTypeOf(PublicationFailedSchema))
  async onFailed(@Payload() e: PublicationFailed, @Ctx() ctx: KafkaEventContext): Promise<void> {
    if (!e.permanent) return; // a retry is coming
    await this.apply(ctx, e, e.contentVersion, 'FAILED', PUBLISHER_ACTOR, e.reason);
  }

  /** Held and cancelled events carry no version: the publication's known version, if seen. */
  private async versionOf(ctx: KafkaEventContext, publicationId: string): Promise<number | undefined> {
    const rows: { version: number }[] = await ctx.manager.query(
      `SELECT version FROM publication_progress WHERE publication_id = $1`,
      [publicationId],
    );
    return rows[0]?.version;
  }
}
