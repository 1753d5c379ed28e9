import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  AccountNeedsReauthSchema,
  ApprovalCancelledSchema,
  ApprovalOpenedSchema,
  BlackoutDeclaredSchema,
  BlackoutEndedSchema,
  type AccountNeedsReauth,
  type ApprovalCancelled,
  type ApprovalOpened,
  type BlackoutDeclared,
  type BlackoutEnded,
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
import { NotifyEvents } from '../notify/notify-events';
import { IngestService, type EventMeta } from './ingest.service';

const meta = (ctx: KafkaEventContext): EventMeta => ({ id: ctx.event.id, time: ctx.event.time });

/**
 * Every area's events, applied to the read models, and what people are told of them, in the
 * transaction that records them in the inbox.
 */
@Controller()
@UseFilters(PassThroughRpcFilter)
export class AnalyticsEventsHandler {
  constructor(
    private readonly ingest: IngestService,
    private readonly notify: NotifyEvents,
  ) {}

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
  async stageDecided(@Payload() e: StageDecided, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.ingest.stageDecided(ctx.manager, e, meta(ctx));
    await this.notify.stageDecided(ctx.manager, e, ctx.event.time);
  }

  @EventPattern(eventTypeOf(ChangesRequestedSchema))
  async changesRequested(@Payload() e: ChangesRequested, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.ingest.changesRequested(ctx.manager, e, meta(ctx));
    await this.notify.approvalClosed(ctx.manager, e.approvalId);
  }

  @EventPattern(eventTypeOf(ContentApprovedSchema))
  async approved(@Payload() e: ContentApproved, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.ingest.contentApproved(ctx.manager, e, meta(ctx));
    await this.notify.approvalClosed(ctx.manager, e.approvalId);
  }

  @EventPattern(eventTypeOf(ContentRejectedSchema))
  async rejected(@Payload() e: ContentRejected, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.ingest.contentRejected(ctx.manager, e, meta(ctx));
    await this.notify.approvalClosed(ctx.manager, e.approvalId);
  }

  @EventPattern(eventTypeOf(ApprovalEscalatedSchema))
  async escalated(@Payload() e: ApprovalEscalated, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.ingest.approvalEscalated(ctx.manager, e, meta(ctx));
    await this.notify.approvalEscalated(ctx.manager, e, ctx.event.time);
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
  async failed(@Payload() e: PublicationFailed, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.ingest.publicationFailed(ctx.manager, e, meta(ctx));
    await this.notify.publicationFailed(ctx.manager, e, ctx.event.id);
  }

  @EventPattern(eventTypeOf(PublicationPublishedSchema))
  published(@Payload() e: PublicationPublished, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.publicationPublished(ctx.manager, e, meta(ctx));
  }

  @EventPattern(eventTypeOf(ApprovalOpenedSchema))
  opened(@Payload() e: ApprovalOpened, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.notify.approvalOpened(ctx.manager, e, ctx.event.time);
  }

  @EventPattern(eventTypeOf(ApprovalCancelledSchema))
  approvalCancelled(@Payload() e: ApprovalCancelled, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.notify.approvalClosed(ctx.manager, e.approvalId);
  }

  @EventPattern(eventTypeOf(AccountNeedsReauthSchema))
  needsReauth(@Payload() e: AccountNeedsReauth, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.notify.accountNeedsReauth(ctx.manager, e, ctx.event.id);
  }

  @EventPattern(eventTypeOf(BlackoutDeclaredSchema))
  blackoutDeclared(@Payload() e: BlackoutDeclared, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.notify.blackoutDeclared(ctx.manager, e, new Date());
  }

  @EventPattern(eventTypeOf(BlackoutEndedSchema))
  blackoutEnded(@Payload() e: BlackoutEnded, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.notify.blackoutEnded(ctx.manager, e, ctx.event.time);
  }

  @EventPattern(eventTypeOf(EngagementSnapshotSchema))
  engagement(@Payload() e: EngagementSnapshot, @Ctx() ctx: KafkaEventContext): Promise<void> {
    return this.ingest.engagementSnapshot(ctx.manager, e, meta(ctx));
  }
}
