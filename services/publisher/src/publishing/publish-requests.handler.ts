import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  eventTypeOf,
  PublicationCancelledSchema,
  PublicationHeldSchema,
  PublishRequestedSchema,
  type PublicationCancelled,
  type PublicationHeld,
  type PublishRequested,
} from '@prasar/contracts';
import { PassThroughRpcFilter, type KafkaEventContext } from '@prasar/kafka';
import { PublishJobs } from './publish-jobs.service';

/** What the publisher takes from the scheduler: publications to publish, held and cancelled. */
@Controller()
@UseFilters(PassThroughRpcFilter)
export class PublishRequestsHandler {
  constructor(private readonly jobs: PublishJobs) {}

  /** A due publication becomes (or stays) one durable job; the worker publishes it. */
  @EventPattern(eventTypeOf(PublishRequestedSchema))
  async onPublishRequested(@Payload() e: PublishRequested, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.jobs.requested(ctx.manager, e);
  }

  /** The scheduler holds a publication it already handed over (a blackout window in force). */
  @EventPattern(eventTypeOf(PublicationHeldSchema))
  async onHeld(@Payload() e: PublicationHeld, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.jobs.heldByScheduler(ctx.manager, e);
  }

  @EventPattern(eventTypeOf(PublicationCancelledSchema))
  async onCancelled(@Payload() e: PublicationCancelled, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.jobs.cancelled(ctx.manager, e);
  }
}
