import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  ApprovalEscalatedSchema,
  AuditEntryRecordedSchema,
  DepartmentCreatedSchema,
  ChangesRequestedSchema,
  ContentApprovedSchema,
  ContentCreatedSchema,
  ContentRejectedSchema,
  ContentSubmittedSchema,
  ContentUpdatedSchema,
  ContentWithdrawnSchema,
  EngagementSnapshotSchema,
  eventTypeOf,
  PublicationCancelledSchema,
  PublicationFailedSchema,
  PublicationPublishedSchema,
  PublicationScheduledSchema,
  PublishRequestedSchema,
  StageDecidedSchema,
  type ApprovalEscalated,
  type AuditEntryRecorded,
  type DepartmentCreated,
  type ChangesRequested,
  type ContentApproved,
  type ContentCreated,
  type ContentRejected,
  type ContentSubmitted,
  type ContentUpdated,
  type ContentWithdrawn,
  type EngagementSnapshot,
  type PublicationCancelled,
  type PublicationFailed,
  type PublicationPublished,
  type PublicationScheduled,
  type PublishRequested,
  type StageDecided,
} from '@prasar/contracts';
import { PassThroughRpcFilter, type KafkaEventContext } from '@prasar/kafka';
import { IngestService, type EventMeta } from './ingest.service';

const meta = (ctx: KafkaEventContext): EventMeta => ({ id: ctx.event.id, time: ctx.event.time });

/** Every area's events, applied to the read models in the transaction that records them in the inbox. */
@Controller()
@UseFilters(PassThroughRpcFilter)
export class AnalyticsEventsHandler {
  constructor(private readonly ingest: IngestService) {}

  @EventPattern(eventTypeOf(ContentCreatedSchema))
  created(@Payload() e: ContentCreated, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.contentCreated(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(DepartmentCreatedSchema))
  departmentCreated(@Payload() e: DepartmentCreated, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.departmentCreated(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(AuditEntryRecordedSchema))
  auditEntry(@Payload() e: AuditEntryRecorded, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.auditEntryRecorded(ctx.manager, e);
  }

  @EventPattern(eventTypeOf(ContentUpdatedSchema))
  updated(@Payload() e: ContentUpdated, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.contentUpdated(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(ContentSubmittedSchema))
  submitted(@Payload() e: ContentSubmitted, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.contentSubmitted(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(ContentWithdrawnSchema))
  withdrawn(@Payload() e: ContentWithdrawn, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.contentWithdrawn(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(StageDecidedSchema))
  stageDecided(@Payload() e: StageDecided, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.stageDecided(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(ChangesRequestedSchema))
  changesRequested(@Payload() e: ChangesRequested, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.changesRequested(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(ContentApprovedSchema))
  approved(@Payload() e: ContentApproved, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.contentApproved(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(ContentRejectedSchema))
  rejected(@Payload() e: ContentRejected, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.contentRejected(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(ApprovalEscalatedSchema))
  escalated(@Payload() e: ApprovalEscalated, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.approvalEscalated(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(PublicationScheduledSchema))
  scheduled(@Payload() e: PublicationScheduled, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.publicationScheduled(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(PublishRequestedSchema))
  publishRequested(@Payload() e: PublishRequested, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.publishRequested(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(PublicationCancelledSchema))
  cancelled(@Payload() e: PublicationCancelled, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.publicationCancelled(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(PublicationFailedSchema))
  failed(@Payload() e: PublicationFailed, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.publicationFailed(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(PublicationPublishedSchema))
  published(@Payload() e: PublicationPublished, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.publicationPublished(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(EngagementSnapshotSchema))
  engagement(@Payload() e: EngagementSnapshot, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.engagementSnapshot(ctx.manager, e, meta(ctx));
  }
}
