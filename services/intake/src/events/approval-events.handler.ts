import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { ConflictError } from '@prasar/auth';
import {
  ApprovalEscalatedSchema,
  ChangesRequestedSchema,
  ContentApprovedSchema,
  ContentRejectedSchema,
  eventTypeOf,
  type ApprovalEscalated,
  type ChangesRequested,
  type ContentApproved,
  type ContentRejected,
} from '@prasar/contracts';
import { PassThroughRpcFilter, type KafkaEventContext } from '@prasar/kafka';
import { createLogger } from '@prasar/telemetry';
import { ContentService, type ApprovalOutcome } from '../content/content.service';
import type { ActorInit } from '../content/snapshot';

/** The approval service, when an event names no person. */
export const APPROVAL_SERVICE_ACTOR: ActorInit = {
  subject: 'service:approval',
  name: 'Approval service',
  roles: [],
};

function actorOrService(actor: ActorInit | undefined): ActorInit {
  return actor?.subject ? actor : APPROVAL_SERVICE_ACTOR;
}

/**
 * The approval service's decisions keep Content.status current: ContentApproved → APPROVED,
 * ContentRejected → REJECTED, ChangesRequested → CHANGES_REQUESTED (each through the lifecycle
 * table and the audit trail, with the deciding person), ApprovalEscalated → an audit entry.
 */
@Controller()
@UseFilters(PassThroughRpcFilter)
export class ApprovalEventsHandler {
  private readonly logger = createLogger('approval-events');

  constructor(private readonly contents: ContentService) {}

  @EventPattern(eventTypeOf(ContentApprovedSchema))
  async onApproved(@Payload() event: ContentApproved, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.apply(ctx, {
      operation: 'APPROVE',
      contentId: event.contentId,
      version: event.contentVersion,
      // The last approver's decision completed the workflow.
      actor: actorOrService(event.approvers.at(-1)),
    });
  }

  @EventPattern(eventTypeOf(ContentRejectedSchema))
  async onRejected(@Payload() event: ContentRejected, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.apply(ctx, {
      operation: 'REJECT',
      contentId: event.contentId,
      version: event.contentVersion,
      actor: actorOrService(event.actor),
      note: event.reason,
    });
  }

  @EventPattern(eventTypeOf(ChangesRequestedSchema))
  async onChangesRequested(@Payload() event: ChangesRequested, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.apply(ctx, {
      operation: 'REQUEST_CHANGES',
      contentId: event.contentId,
      version: event.contentVersion,
      actor: actorOrService(event.actor),
      note: event.comment,
    });
  }

  @EventPattern(eventTypeOf(ApprovalEscalatedSchema))
  async onEscalated(@Payload() event: ApprovalEscalated, @Ctx() ctx: KafkaEventContext): Promise<void> {
    const due = event.dueAt ? ` (due ${timestampDate(event.dueAt).toISOString()})` : '';
    const effect = await this.contents.recordEscalation(ctx.manager, {
      contentId: event.contentId,
      version: event.contentVersion,
      actor: APPROVAL_SERVICE_ACTOR.subject as string,
      note: `Approval stage ${event.stageIndex + 1} (${event.role || 'unknown role'}) is overdue${due}`,
    });
    if (effect === 'ignored')
      this.logger.info(
        { eventId: ctx.event.id, contentId: event.contentId, version: event.contentVersion },
        'escalation for content not under review at that version; ignored',
      );
  }

  private async apply(ctx: KafkaEventContext, outcome: ApprovalOutcome): Promise<void> {
    try {
      const effect = await this.contents.applyApprovalOutcome(ctx.manager, outcome);
      if (effect === 'ignored')
        this.logger.info(
          { eventId: ctx.event.id, contentId: outcome.contentId, version: outcome.version },
          `${ctx.event.type} for unknown content or a version that is not current; ignored`,
        );
    } catch (err) {
      // The lifecycle refuses (e.g. the content was withdrawn meanwhile): nothing changed, and
      // retrying cannot change that. Anything else is retried and, failing, dead-lettered.
      if (!(err instanceof ConflictError)) throw err;
      this.logger.warn(
        {
          eventId: ctx.event.id,
          contentId: outcome.contentId,
          version: outcome.version,
          reason: err.message,
        },
        `${ctx.event.type} refused by the lifecycle; ignored`,
      );
    }
  }
}
