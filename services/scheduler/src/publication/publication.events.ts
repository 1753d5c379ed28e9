// The scheduler's outgoing events, built in one place from its rows.
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { fromBinary } from '@bufbuild/protobuf';
import type { Principal } from '@prasar/auth';
import {
  ContentSnapshotSchema,
  HoldReason as PbHoldReason,
  Platform as PbPlatform,
  PublicationCancelledSchema,
  PublicationHeldSchema,
  PublicationReleasedSchema,
  PublicationScheduledSchema,
  PublishRequestedSchema,
} from '@prasar/contracts';
import type { EventPublisher } from '@prasar/kafka';
import type { EntityManager } from 'typeorm';
import type { ApprovedContent, HoldReason, Publication } from './publication.entity';

export const SYSTEM_ACTOR = { subject: 'prasar-scheduler', name: 'Prasar scheduler', roles: [] };

export function actorOf(p: Principal | undefined) {
  return p ? { subject: p.subject, name: p.name, roles: p.roles } : SYSTEM_ACTOR;
}

function base(p: Publication) {
  return {
    contentId: p.contentId,
    departmentId: p.departmentId,
    publicationId: p.id,
    accountId: p.accountId,
    platform: PbPlatform[p.platform],
  };
}

/** Emits what happened to a publication, in the caller's transaction (outbox). */
export class PublicationEvents {
  constructor(private readonly events: EventPublisher) {}

  scheduled(em: EntityManager, p: Publication, nextFreeSlot: boolean, actor?: Principal) {
    return this.events.publish(em, {
      schema: PublicationScheduledSchema,
      message: {
        ...base(p),
        contentVersion: p.contentVersion,
        scheduledAt: timestampFromDate(p.scheduledAt),
        nextFreeSlot,
        actor: actorOf(actor),
      },
    });
  }

  held(em: EntityManager, p: Publication, reason: HoldReason, detail: string) {
    return this.events.publish(em, {
      schema: PublicationHeldSchema,
      message: { ...base(p), reason: PbHoldReason[reason], detail, blackoutId: p.blackoutId ?? '' },
    });
  }

  released(em: EntityManager, p: Publication, from: HoldReason, actor?: Principal) {
    return this.events.publish(em, {
      schema: PublicationReleasedSchema,
      message: {
        ...base(p),
        releasedFrom: PbHoldReason[from],
        scheduledAt: timestampFromDate(p.scheduledAt),
        actor: actorOf(actor),
      },
    });
  }

  cancelled(em: EntityManager, p: Publication, reason: string, actor?: Principal) {
    return this.events.publish(em, {
      schema: PublicationCancelledSchema,
      message: { ...base(p), reason, actor: actorOf(actor) },
    });
  }

  publishRequested(em: EntityManager, p: Publication, content: ApprovedContent) {
    return this.events.publish(em, {
      schema: PublishRequestedSchema,
      message: {
        ...base(p),
        contentVersion: p.contentVersion,
        scheduledAt: timestampFromDate(p.scheduledAt),
        attempt: p.dispatches,
        snapshot: fromBinary(ContentSnapshotSchema, content.snapshot),
      },
    });
  }
}
