import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ContentSubmittedSchema, eventTypeOf, type ContentSubmitted } from '@prasar/contracts';
import type { KafkaEventContext } from '@prasar/kafka';
import { ApprovalService } from './approval.service';

/** Events from intake that start or stop approval work. */
@Controller()
export class SubmissionHandler {
  constructor(private readonly approvals: ApprovalService) {}

  @EventPattern(eventTypeOf(ContentSubmittedSchema))
  async onSubmitted(@Payload() event: ContentSubmitted, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.approvals.open(ctx.manager, event);
  }
}
