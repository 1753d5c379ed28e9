import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  ContentSubmittedSchema,
  ContentWithdrawnSchema,
  eventTypeOf,
  type ContentSubmitted,
  type ContentWithdrawn,
} from '@prasar/contracts';
import { PassThroughRpcFilter, type KafkaEventContext } from '@prasar/kafka';
import { ApprovalService } from './approval.service';

/** Events from intake that start or stop approval work (each in the consumer's platform transaction). */
@Controller()
@UseFilters(PassThroughRpcFilter)
export class ContentEventsHandler {
  constructor(private readonly approvals: ApprovalService) {}

  @EventPattern(eventTypeOf(ContentSubmittedSchema))
  async onSubmitted(@Payload() event: ContentSubmitted, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.approvals.open(ctx.manager, event);
  }

  @EventPattern(eventTypeOf(ContentWithdrawnSchema))
  async onWithdrawn(@Payload() event: ContentWithdrawn, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.approvals.withdraw(ctx.manager, event);
  }
}
