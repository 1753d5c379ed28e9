import type { Violation } from '@prasar/auth';
import { checkAdvertisementPhotographs } from './advertisement';
import { checkPlatformRules, measureText } from './platforms';
import type { PoliticalReference, PoliticalReferenceKind } from './political';
import { compilePolicy, type CompiledPolicy, type CompliancePolicy } from './policy';
import { RULES } from './rules';
import { contentTextOnce, overrideOf, variantText } from './text';
import type {
  ComplianceContent,
  ComplianceContext,
  ComplianceReport,
  ComplianceTarget,
  VariantReport,
} from './types';

const REFERENCE_LABEL: Record<PoliticalReferenceKind, string> = {
  PARTY_NAME: 'party name',
  SYMBOL: 'party symbol',
  DOMAIN: 'party website',
};

function describeField(field: string): string {
  if (field === 'title') return 'The title';
  if (field === 'link') return 'The link';
  if (field.startsWith('variants[')) return 'This platform text';
  const body = /^body\[(\d+)\]/.exec(field);
  if (body) return `Body text ${Number(body[1]) + 1}`;
  const tag = /^hashtags\[(\d+)\]/.exec(field);
  if (tag) return `Hashtag ${Number(tag[1]) + 1}`;
  const media = /^media\[(\d+)\]\.(\w+)/.exec(field);
  if (media) return `The ${media[2] === 'url' ? 'URL' : 'alt text'} of media ${Number(media[1]) + 1}`;
  return field;
}

function politicalViolation(field: string, references: PoliticalReference[]): Violation {
  const found = references.map((r) => `${REFERENCE_LABEL[r.kind]} "${r.term}"`).join(', ');
  return {
    field,
    rule: RULES.POLITICAL_NEUTRALITY,
    message:
      `${describeField(field)} mentions ${found}. Government publicity must stay politically neutral: ` +
      'no party names, symbols or party websites. सरकारी प्रचार में किसी राजनीतिक दल का नाम, चिह्न या वेबसाइट नहीं हो सकती।',
  };
}

function decodeUrl(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

function scanPolitical(
  policy: CompiledPolicy,
  field: string,
  text: string,
  out: Violation[],
  isUrl = false,
): void {
  if (!text) return;
  let references = policy.findPoliticalReferences(text);
  if (isUrl) {
    // "%E0%A4%AD..." hides Devanagari from the matcher; look at the decoded URL as well.
    const decoded = decodeUrl(text);
    if (decoded !== text) {
      const seen = new Set(references.map((r) => `${r.kind}\u0000${r.term}`));
      for (const r of policy.findPoliticalReferences(decoded))
        if (!seen.has(`${r.kind}\u0000${r.term}`)) references = [...references, r];
    }
  }
  if (references.length) out.push(politicalViolation(field, references));
}

function checkContent(
  content: ComplianceContent,
  targets: readonly ComplianceTarget[],
  policy: CompiledPolicy,
  context: ComplianceContext | undefined,
): Violation[] {
  const out: Violation[] = [];
  if (!content.body.some((b) => b.text.trim()))
    out.push({
      field: 'body',
      rule: RULES.BODY_REQUIRED,
      message: 'Write the text in Hindi or English (at least one). हिंदी या अंग्रेज़ी में पाठ लिखें।',
    });
  if (content.kind === 'ORDER') {
    if (!content.evidence)
      out.push({
        field: 'evidence',
        rule: RULES.EVIDENCE_REQUIRED,
        message: 'An order must carry its order number and the URL of the signed order it reports.',
      });
    else {
      if (!content.evidence.orderNumber.trim())
        out.push({
          field: 'evidence.orderNumber',
          rule: RULES.EVIDENCE_REQUIRED,
          message: 'An order must carry the number of the order it reports.',
        });
      if (!content.evidence.documentUrl.trim())
        out.push({
          field: 'evidence.documentUrl',
          rule: RULES.EVIDENCE_REQUIRED,
          message: 'An order must carry the URL of the signed order it reports.',
        });
    }
  }
  content.media.forEach((m, i) => {
    if (!m.altText.trim())
      out.push({
        field: `media[${i}].altText`,
        rule: RULES.ALT_TEXT_REQUIRED,
        message: `Media ${i + 1} needs alt text describing it, for readers who cannot see it.`,
      });
  });
  if (targets.length === 0)
    out.push({
      field: 'targetAccountIds',
      rule: RULES.TARGETS_REQUIRED,
      message: "Choose at least one of the department's accounts to publish to.",
    });
  const seen = new Set<string>();
  targets.forEach((t, i) => {
    if (seen.has(t.accountId))
      out.push({
        field: `targetAccountIds[${i}]`,
        rule: RULES.TARGET_DUPLICATE,
        message: `Account ${t.accountId} is listed more than once; each account is published to once.`,
      });
    seen.add(t.accountId);
  });
  checkAdvertisementPhotographs(content, policy, context, out);
  scanPolitical(policy, 'title', content.title, out);
  content.body.forEach((b, i) => scanPolitical(policy, `body[${i}].text`, b.text, out));
  content.hashtags.forEach((h, i) => scanPolitical(policy, `hashtags[${i}]`, h, out));
  if (content.link) scanPolitical(policy, 'link', content.link, out, true);
  content.media.forEach((m, i) => {
    scanPolitical(policy, `media[${i}].altText`, m.altText, out);
    scanPolitical(policy, `media[${i}].url`, m.url, out, true);
  });
  return out;
}

function checkVariant(
  content: ComplianceContent,
  target: ComplianceTarget,
  policy: CompiledPolicy,
  context: ComplianceContext | undefined,
  contentText: () => string,
): VariantReport {
  const violations: Violation[] = [];
  const fieldPrefix = `variants[${target.accountId}]`;
  const text = variantText(target, contentText);
  const { length, maxLength } = measureText(target.platform, text);
  checkPlatformRules(
    { platform: target.platform, fieldPrefix, text, length, media: content.media },
    violations,
  );
  // Composed text repeats the content's fields, whose references are reported once at content level.
  const override = overrideOf(target);
  if (override !== null) scanPolitical(policy, `${fieldPrefix}.text`, override, violations);
  if (text && context?.isDuplicate?.(target.accountId, text))
    violations.push({
      field: `${fieldPrefix}.text`,
      rule: RULES.DUPLICATE_TEXT,
      message:
        'Exactly this text was already published on this account; platforms refuse or penalise repeats. ' +
        'Change the wording or write an override for this account.',
    });
  return {
    accountId: target.accountId,
    platform: target.platform,
    text,
    weightedLength: length,
    maxLength,
    violations,
  };
}

/**
 * Every compliance rule for one content version and its targets: content-level violations once,
 * and per target its published text, its length as the platform counts it and its violations.
 * Pure and deterministic; run it at submission, in validateContent and again before publishing.
 */
export function checkCompliance(
  content: ComplianceContent,
  targets: readonly ComplianceTarget[],
  policy: CompliancePolicy | CompiledPolicy,
  context?: ComplianceContext,
): ComplianceReport {
  const compiled = compilePolicy(policy);
  const violations = checkContent(content, targets, compiled, context);
  const reported = new Set<string>();
  const variants: VariantReport[] = [];
  const contentText = contentTextOnce(content);
  for (const target of targets) {
    if (reported.has(target.accountId)) continue;
    reported.add(target.accountId);
    variants.push(checkVariant(content, target, compiled, context, contentText));
  }
  const ok = violations.length === 0 && variants.every((v) => v.violations.length === 0);
  return { variants, violations, ok };
}
