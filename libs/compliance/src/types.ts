import type { Violation } from '@prasar/auth';

export type Platform = 'X' | 'FACEBOOK' | 'INSTAGRAM' | 'WHATSAPP';
export type Language = 'HI' | 'EN';
export type ContentKind =
  'ACHIEVEMENT' | 'SUCCESS_STORY' | 'ORDER' | 'MINISTER_MESSAGE' | 'SCHEME' | 'EVENT' | 'ADVERTISEMENT';
export type Priority = 'NORMAL' | 'URGENT';
export type PersonRole =
  'PRESIDENT' | 'PRIME_MINISTER' | 'GOVERNOR' | 'CHIEF_MINISTER' | 'MINISTER' | 'OFFICIAL' | 'PUBLIC';

export interface ComplianceBodyText {
  language: Language;
  text: string;
}

export interface CompliancePersonTag {
  role: PersonRole;
  name: string;
}

/** An image or video; dimensions and size are checked only when the caller knows them. */
export interface ComplianceMedia {
  url: string;
  mimeType: string;
  altText: string;
  people: readonly CompliancePersonTag[];
  widthPx?: number | null;
  heightPx?: number | null;
  sizeBytes?: number | null;
}

export interface ComplianceEvidence {
  orderNumber: string;
  documentUrl: string;
}

/** What the checks read of one content version (intake's ContentBody fits it as it is). */
export interface ComplianceContent {
  kind: ContentKind;
  priority: Priority;
  title: string;
  body: readonly ComplianceBodyText[];
  hashtags: readonly string[];
  link: string | null;
  media: readonly ComplianceMedia[];
  evidence: ComplianceEvidence | null;
}

/** One account the content goes to, with its per-platform text override if the editor wrote one. */
export interface ComplianceTarget {
  accountId: string;
  platform: Platform;
  overrideText?: string | null;
}

/** Facts about the world the library cannot look up itself (it does no I/O). */
export interface ComplianceContext {
  /** True when exactly this text was already published on that account. */
  isDuplicate?(accountId: string, text: string): boolean;
  /**
   * Names of the content's own department's minister(s), in every spelling used in person tags
   * (e.g. English and Hindi). Used only when the policy sets `allowDepartmentMinister`.
   */
  departmentMinisterNames?: readonly string[];
}

/** One target's text as it will be published, and what is wrong with it. */
export interface VariantReport {
  accountId: string;
  platform: Platform;
  text: string;
  /** The length the platform's limit applies to: twitter-text weighted length on X, UTF-16 units elsewhere. */
  weightedLength: number;
  /** That limit (280, 2,200, 63,206 or 1,024). */
  maxLength: number;
  violations: Violation[];
}

export interface ComplianceReport {
  variants: VariantReport[];
  /** Content-level violations (fields such as `title`, `body[0].text`, `media[1].people[0]`). */
  violations: Violation[];
  /** No violation anywhere. */
  ok: boolean;
}
