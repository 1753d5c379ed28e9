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

/** Records one publication's progress on the content (shared with PublishEventsHandler). */
export function recordProgress(
  contents: ContentService,
  ctx: KafkaEventContext,
  e: { contentId: string; publicationId: string; accountId: string },
  version: number | undefined,
  state: PublicationProgressState,
) {
  return contents.applyPublicationProgress(ctx.manager, {
    contentId: e.contentId,
    publicationId: e.publicationId,
    accountId: e.accountId,
    version,
    state,
  });
}

/**
 * The scheduler's and the publisher's progress keeps Content.status current after approval:
 * SCHEDULED, PUBLISHING, then PUBLISHED / PARTIALLY_PUBLISHED / FAILED once every target settled,
 * derived from all of the content's publications whatever order their events arrive in.
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
  ) {
    return recordProgress(this.contents, ctx, e, version, state);
  }

  @EventPattern(eventTypeOf(PublicationScheduledSchema))
  async onScheduled(@Payload() e: PublicationScheduled, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.apply(ctx, e, e.contentVersion, 'SCHEDULED');
  }

  @EventPattern(eventTypeOf(PublishRequestedSchema))
  async onRequested(@Payload() e: PublishRequested, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.apply(ctx, e, e.contentVersion, 'PUBLISHING');
  }

  /** Held and cancelled events carry no version: the current one (an approved content is not edited). */
  @EventPattern(eventTypeOf(PublicationHeldSchema))
  async onHeld(@Payload() e: PublicationHeld, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.apply(ctx, e, undefined, 'HELD');
  }

  @EventPattern(eventTypeOf(PublicationCancelledSchema))
  async onCancelled(@Payload() e: PublicationCancelled, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.apply(ctx, e, undefined, 'CANCELLED');
  }

  @EventPattern(eventTypeOf(PublicationFailedSchema))
  async onFailed(@Payload() e: PublicationFailed, @Ctx() ctx: KafkaEventContext): Promise<void> {
    if (!e.permanent) return; // a retry is coming
    await this.apply(ctx, e, e.contentVersion, 'FAILED');
  }
}
