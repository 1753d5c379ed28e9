import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ContentKind, Language, PersonRole, Priority } from '@prasar/compliance';

export type { ContentKind, Language, PersonRole, Priority };
export type ContentStatus =
  | 'DRAFT'
  | 'IN_REVIEW'
  | 'CHANGES_REQUESTED'
  | 'APPROVED'
  | 'REJECTED'
  | 'SCHEDULED'
  | 'PUBLISHING'
  | 'PUBLISHED'
  | 'PARTIALLY_PUBLISHED'
  | 'FAILED'
  | 'WITHDRAWN';

export interface LocalizedText {
  language: Language;
  text: string;
}
export interface PersonTag {
  role: PersonRole;
  name: string;
}
export interface MediaAsset {
  id: string;
  url: string;
  mimeType: string;
  altText: string;
  people: PersonTag[];
}
export interface Evidence {
  orderNumber: string;
  documentUrl: string;
}
export interface VariantOverride {
  accountId: string;
  text: string;
}

/** What an editor writes: the body of one version. */
export interface ContentBody {
  kind: ContentKind;
  priority: Priority;
  title: string;
  body: LocalizedText[];
  hashtags: string[];
  link: string | null;
  media: MediaAsset[];
  evidence: Evidence | null;
  desiredPublishAt: Date | null;
  targetAccountIds: string[];
  overrides: VariantOverride[];
}

@Entity('contents')
export class Content implements ContentBody {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column('text') kind!: ContentKind;
  @Column('text') priority!: Priority;
  @Column('text') title!: string;
  @Column('jsonb') body!: LocalizedText[];
  @Column('text', { array: true }) hashtags!: string[];
  @Column({ type: 'text', nullable: true }) link!: string | null;
  @Column('jsonb') media!: MediaAsset[];
  @Column({ type: 'jsonb', nullable: true }) evidence!: Evidence | null;
  @Column({ type: 'timestamptz', name: 'desired_publish_at', nullable: true }) desiredPublishAt!: Date | null;
  @Column('text', { array: true, name: 'target_account_ids' }) targetAccountIds!: string[];
  @Column('jsonb') overrides!: VariantOverride[];
  @Column('text') status!: ContentStatus;
  @Column('int') version!: number;
  @Column({ type: 'text', name: 'created_by' }) createdBy!: string;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @Column({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
  /** Title and body texts, NFC and lower case, for `contents(filter: { search })` (never selected). */
  @Column({ type: 'text', name: 'search_text', select: false }) searchText?: string;
}

/** The text `contents(filter: { search })` matches: title and every body text, NFC, lower case. */
export function searchTextOf(body: Pick<ContentBody, 'title' | 'body'>): string {
  return [body.title, ...body.body.map((b) => b.text)].join('\n').normalize('NFC').toLowerCase();
}

/** Every version of a content item, kept forever (government record). */
@Entity('content_versions')
export class ContentVersion {
  @PrimaryColumn({ type: 'uuid', name: 'content_id' }) contentId!: string;
  @PrimaryColumn('int') version!: number;
  @Column({ type: 'uuid', name: 'department_id' }) departmentId!: string;
  @Column('jsonb') snapshot!: ContentBody;
  @Column({ type: 'text', name: 'created_by' }) createdBy!: string;
  @Column({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
}
