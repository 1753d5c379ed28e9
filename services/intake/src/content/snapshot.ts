import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  ContentKind as PbKind,
  ContentStatus as PbContentStatus,
  Language as PbLanguage,
  PersonRole as PbPersonRole,
  Priority as PbPriority,
  type ContentSnapshotSchema,
  type ActorSchema,
} from '@prasar/contracts';
import type { Principal } from '@prasar/auth';
import type { Content, ContentStatus } from './content.entity';

export type ActorInit = MessageInitShape<typeof ActorSchema>;

/** The event form of the caller. */
export function actorOf(p: Principal): ActorInit {
  return { subject: p.subject, name: p.name, roles: p.roles };
}

/** The event form of a lifecycle status. */
export function statusOf(status: ContentStatus): PbContentStatus {
  return PbContentStatus[status];
}

/**
 * The event form of a content item's current version. `createdBy` is the content's author (not
 * whoever triggers the event): approval refuses decisions by the author with it.
 */
export function snapshotOf(c: Content): MessageInitShape<typeof ContentSnapshotSchema> {
  return {
    contentId: c.id,
    departmentId: c.departmentId,
    version: c.version,
    kind: PbKind[c.kind],
    priority: PbPriority[c.priority],
    title: c.title,
    body: c.body.map((b) => ({ language: PbLanguage[b.language], text: b.text })),
    hashtags: c.hashtags,
    link: c.link ?? undefined,
    media: c.media.map((m) => ({
      id: m.id,
      url: m.url,
      mimeType: m.mimeType,
      altText: m.altText,
      people: m.people.map((p) => ({ role: PbPersonRole[p.role], name: p.name })),
    })),
    evidence: c.evidence ?? undefined,
    desiredPublishAt: c.desiredPublishAt ? timestampFromDate(c.desiredPublishAt) : undefined,
    targetAccountIds: c.targetAccountIds,
    overrides: c.overrides.map((o) => ({ accountId: o.accountId, text: o.text })),
    createdBy: { subject: c.createdBy, name: c.createdBy, roles: [] },
    createdAt: timestampFromDate(c.createdAt),
  };
}
