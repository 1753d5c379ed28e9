import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  eventTypeOf,
  PublicationCancelledSchema,
  PublishRequestedSchema,
  type PublicationCancelled,
  type PublishRequested,
} from '@prasar/contracts';
import { PassThroughRpcFilter, type KafkaEventContext } from '@prasar/kafka';
import { PublishJobs } from './publish-jobs.service';

/** What the publisher takes from the scheduler: publications to publish, and ones cancelled. */
@Controller()
@UseFilters(PassThroughRpcFilter)
export class PublishRequestsHandler {
  constructor(private readonly jobs: PublishJobs) {}

  /** A due publication becomes (or stays) one durable job; the worker publishes it. */
  @EventPattern(eventTypeOf(PublishRequestedSchema))
  async onPublishRequested(@Payload() e: PublishRequested, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.jobs.requested(ctx.manager, e);
  }

  @EventPattern(eventTypeOf(PublicationCancelledSchema))
  async onCancelled(@Payload() e: PublicationCancelled, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.jobs.cancelled(ctx.manager, e);
  }
}
