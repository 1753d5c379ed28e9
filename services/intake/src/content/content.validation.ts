import type { Violation } from '@prasar/auth';
import { checkCompliance, DEFAULT_POLICY, RULES, type RuleId } from '@prasar/compliance';
import type { ContentBody } from './content.entity';

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Field-level structure of what an editor wrote: syntax the compliance library does not check
 * (URLs, mime types, hashtag syntax, title, languages, overrides). The library's own rules run
 * through `structuralViolations` and at submission.
 */
export function validateContentBody(c: ContentBody): Violation[] {
  const v: Violation[] = [];
  if (!c.title.trim()) v.push({ field: 'title', rule: 'REQUIRED', message: 'A title is required' });
  if (c.title.length > 200)
    v.push({ field: 'title', rule: 'MAX_LENGTH', message: 'A title has at most 200 characters' });
  const languages = c.body.map((b) => b.language);
  if (new Set(languages).size !== languages.length)
    v.push({ field: 'body', rule: 'DUPLICATE_LANGUAGE', message: 'Give each language at most once' });
  if (c.link !== null && !isHttpUrl(c.link))
    v.push({ field: 'link', rule: 'URL', message: 'The link must be an http(s) URL' });
  c.hashtags.forEach((tag, i) => {
    if (!/^#?[\p{L}\p{M}\p{N}_]+$/u.test(tag))
      v.push({ field: `hashtags[${i}]`, rule: 'HASHTAG', message: `"${tag}" is not a valid hashtag` });
  });
  c.media.forEach((m, i) => {
    if (!isHttpUrl(m.url))
      v.push({ field: `media[${i}].url`, rule: 'URL', message: 'Media must be at a public http(s) URL' });
    if (!/^(image|video)\/[\w.+-]+$/.test(m.mimeType))
      v.push({
        field: `media[${i}].mimeType`,
        rule: 'MEDIA_TYPE',
        message: 'Media must be an image or a video',
      });
    m.people.forEach((p, j) => {
      if (!p.name.trim())
        v.push({
          field: `media[${i}].people[${j}].name`,
          rule: 'REQUIRED',
          message: 'A tagged person needs a name',
        });
    });
  });
  if (c.kind === 'ORDER' && c.evidence?.documentUrl.trim() && !isHttpUrl(c.evidence.documentUrl))
    v.push({
      field: 'evidence.documentUrl',
      rule: 'URL',
      message: 'The signed order must be at an http(s) URL',
    });
  const targets = new Set(c.targetAccountIds);
  const overridden = new Set<string>();
  c.overrides.forEach((o, i) => {
    if (!targets.has(o.accountId))
      v.push({
        field: `overrides[${i}].accountId`,
        rule: 'NOT_A_TARGET',
        message: 'A text override must name one of the target accounts',
      });
    else if (overridden.has(o.accountId))
      v.push({
        field: `overrides[${i}].accountId`,
        rule: 'DUPLICATE_OVERRIDE',
        message: 'Write at most one text override per account',
      });
    overridden.add(o.accountId);
  });
  return v;
}

/**
 * The library's rules that are about the content's structure rather than its compliance: an
 * editor's input error (BAD_USER_INPUT) wherever they are found. `TARGETS_REQUIRED` only counts
 * when the content is to be submitted: a draft may not have chosen its accounts yet.
 */
const STRUCTURAL_RULES: ReadonlySet<RuleId> = new Set<RuleId>([
  RULES.BODY_REQUIRED,
  RULES.EVIDENCE_REQUIRED,
  RULES.ALT_TEXT_REQUIRED,
  RULES.TARGET_DUPLICATE,
]);
const SUBMISSION_STRUCTURAL_RULES: ReadonlySet<RuleId> = new Set<RuleId>([
  ...STRUCTURAL_RULES,
  RULES.TARGETS_REQUIRED,
]);

/** Whether a library violation is structural (input error) rather than a compliance refusal. */
export function isStructural(v: Violation, forSubmission: boolean): boolean {
  return (forSubmission ? SUBMISSION_STRUCTURAL_RULES : STRUCTURAL_RULES).has(v.rule as RuleId);
}

/**
 * Everything wrong with the content's structure: field-level syntax plus the library's structural
 * rules (the library is the one definition of "body required", "alt text required", ...).
 */
export function structuralViolations(c: ContentBody, forSubmission = false): Violation[] {
  // Only the content-level report is read, so the targets' platform does not matter here.
  const targets = c.targetAccountIds.map((accountId) => ({ accountId, platform: 'FACEBOOK' as const }));
  const library = checkCompliance(c, targets, DEFAULT_POLICY).violations.filter((v) =>
    isStructural(v, forSubmission),
  );
  return [...validateContentBody(c), ...library];
}
