// From the approved snapshot to what a platform receives, and the compliance checks run again just
// before publishing (the rules may have caught up with the content since it was approved).
import { createHash } from 'node:crypto';
import { fromBinary } from '@bufbuild/protobuf';
import type { Violation } from '@prasar/auth';
import {
  checkCompliance,
  composeVariantText,
  DEFAULT_POLICY,
  type ComplianceContent,
  type CompiledPolicy,
  type CompliancePolicy,
  type ContentKind,
  type Language,
  type PersonRole,
  type Platform,
} from '@prasar/compliance';
import {
  ContentKind as PbKind,
  ContentSnapshotSchema,
  Language as PbLanguage,
  PersonRole as PbPersonRole,
  Platform as PbPlatform,
  Priority as PbPriority,
  type ContentSnapshot,
} from '@prasar/contracts';
import type { PublishMedia } from '../platforms/platform';

/** The platform of a protobuf Platform value; undefined for UNSPECIFIED or unknown values. */
export function platformOf(value: PbPlatform): Platform | undefined {
  const name = PbPlatform[value] as string | undefined;
  return name === 'X' || name === 'FACEBOOK' || name === 'INSTAGRAM' || name === 'WHATSAPP'
    ? name
    : undefined;
}

/** What the compliance library reads, from the snapshot. */
export function complianceContentOf(s: ContentSnapshot): ComplianceContent {
  return {
    kind: (PbKind[s.kind] ?? 'ACHIEVEMENT') as ContentKind,
    priority: s.priority === PbPriority.URGENT ? 'URGENT' : 'NORMAL',
    title: s.title,
    body: s.body.map((b) => ({ language: (PbLanguage[b.language] ?? 'EN') as Language, text: b.text })),
    hashtags: [...s.hashtags],
    link: s.link ?? null,
    media: s.media.map((m) => ({
      url: m.url,
      mimeType: m.mimeType,
      altText: m.altText,
      people: m.people.map((p) => ({ role: (PbPersonRole[p.role] ?? 'PUBLIC') as PersonRole, name: p.name })),
    })),
    evidence: s.evidence
      ? { orderNumber: s.evidence.orderNumber, documentUrl: s.evidence.documentUrl }
      : null,
  };
}

/** The post as it goes to one account, or why it must not. */
export interface RenderedPost {
  text: string;
  textHash: string;
  link: string | null;
  media: PublishMedia[];
  violations: Violation[];
}

export function textHashOf(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function decodeSnapshot(bytes: Buffer): ContentSnapshot {
  return fromBinary(ContentSnapshotSchema, bytes);
}

export interface PostTarget {
  accountId: string;
  platform: Platform;
}

const overrideFor = (snapshot: ContentSnapshot, accountId: string) =>
  snapshot.overrides.find((o) => o.accountId === accountId)?.text ?? null;

/** The text one account receives: its override, or the composed text (as the compliance library composes it). */
export function postTextOf(snapshot: ContentSnapshot, target: PostTarget): string {
  return composeVariantText(complianceContentOf(snapshot), {
    platform: target.platform,
    overrideText: overrideFor(snapshot, target.accountId),
  });
}

/**
 * Renders the snapshot for one account and runs every compliance rule for it. `duplicate` says
 * whether exactly this text was already published on the account (the duplicate-text rule);
 * `rules` are the state's policy and the department's ministers (CompliancePolicies.atPublish).
 */
export function renderForAccount(
  snapshot: ContentSnapshot,
  target: PostTarget,
  duplicate: boolean,
  rules: {
    policy: CompliancePolicy | CompiledPolicy;
    departmentMinisterNames?: readonly string[];
  } = { policy: DEFAULT_POLICY },
): RenderedPost {
  const content = complianceContentOf(snapshot);
  const overrideText = overrideFor(snapshot, target.accountId);
  const report = checkCompliance(content, [{ ...target, overrideText }], rules.policy, {
    isDuplicate: () => duplicate,
    departmentMinisterNames: rules.departmentMinisterNames ?? [],
  });
  const variant = report.variants[0];
  return {
    text: variant.text,
    textHash: textHashOf(variant.text),
    link: content.link,
    media: content.media.map((m) => ({ url: m.url, mimeType: m.mimeType, altText: m.altText })),
    violations: [...report.violations, ...variant.violations],
  };
}

/** A violation list as one line of reason: `RULE: message; RULE: message`. */
export function violationReason(violations: readonly Violation[]): string {
  return `Compliance check failed before publishing: ${violations.map((v) => `${v.rule}: ${v.message}`).join('; ')}`;
}
