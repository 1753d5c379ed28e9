import type { Violation } from '@prasar/auth';
import type { ContentBody } from './content.entity';

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Structural checks on what an editor wrote (platform and legal compliance run at submission). */
export function validateContentBody(c: ContentBody): Violation[] {
  const v: Violation[] = [];
  if (!c.title.trim()) v.push({ field: 'title', rule: 'REQUIRED', message: 'A title is required' });
  if (c.title.length > 200)
    v.push({ field: 'title', rule: 'MAX_LENGTH', message: 'A title has at most 200 characters' });
  const texts = c.body.filter((b) => b.text.trim().length > 0);
  if (texts.length === 0)
    v.push({ field: 'body', rule: 'REQUIRED', message: 'Write the text in Hindi or English (at least one)' });
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
    if (!m.altText.trim())
      v.push({
        field: `media[${i}].altText`,
        rule: 'ALT_TEXT_REQUIRED',
        message: 'Every image or video needs alt text describing it (accessibility)',
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
  if (c.kind === 'ORDER') {
    if (!c.evidence)
      v.push({
        field: 'evidence',
        rule: 'EVIDENCE_REQUIRED',
        message: 'An order must carry its order number and the URL of the signed order',
      });
    else {
      if (!c.evidence.orderNumber.trim())
        v.push({ field: 'evidence.orderNumber', rule: 'REQUIRED', message: 'The order number is required' });
      if (!isHttpUrl(c.evidence.documentUrl))
        v.push({
          field: 'evidence.documentUrl',
          rule: 'URL',
          message: 'The signed order must be at an http(s) URL',
        });
    }
  }
  const targets = new Set(c.targetAccountIds);
  c.overrides.forEach((o, i) => {
    if (!targets.has(o.accountId))
      v.push({
        field: `overrides[${i}].accountId`,
        rule: 'NOT_A_TARGET',
        message: 'A text override must name one of the target accounts',
      });
  });
  return v;
}
