import { extractHashtags, extractMentions, parseTweet } from 'twitter-text';
import type { ComplianceContent, ComplianceTarget, Language } from './types';

const LANGUAGE_ORDER: Record<Language, number> = { HI: 0, EN: 1 };
const LEADING_HASH = /^[#\uFF03]+/;
const WHITESPACE_RUN = /\s+/g;

/** X's count: twitter-text's weighted length (Devanagari 1 per code point, emoji and ₹ 2, each URL 23). */
export function weightedLength(text: string): number {
  return parseTweet(text).weightedLength;
}

/** The length Facebook, Instagram and WhatsApp limits are measured in: UTF-16 code units (the stricter reading). */
export function characterCount(text: string): number {
  return text.length;
}

/** The content's hashtags as published: trimmed, one `#`, empty ones dropped, first spelling of case-insensitive repeats kept. */
export function normalizeHashtags(hashtags: readonly string[]): string[] {
  const seen = new Set<string>();
  const tags: string[] = [];
  for (const raw of hashtags) {
    const tag = raw.trim().replace(LEADING_HASH, '');
    if (!tag) continue;
    const key = tag.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    tags.push(`#${tag}`);
  }
  return tags;
}

/** The override when the editor wrote a non-blank one. */
export function overrideOf(target: Pick<ComplianceTarget, 'overrideText'>): string | null {
  const text = target.overrideText;
  return typeof text === 'string' && text.trim() ? text : null;
}

/**
 * The text published on one target: its override as written, else the body texts (Hindi first,
 * then English), the hashtags on one line and the link, separated by blank lines. A WhatsApp
 * template parameter cannot hold line breaks, so for WhatsApp the composed text is one paragraph.
 */
export function composeVariantText(
  content: Pick<ComplianceContent, 'body' | 'hashtags' | 'link'>,
  target: Pick<ComplianceTarget, 'platform' | 'overrideText'>,
): string {
  return variantText(target, () => composeContentText(content));
}

/** `composeVariantText` with the content's own text computed at most once by the caller. */
export function variantText(
  target: Pick<ComplianceTarget, 'platform' | 'overrideText'>,
  contentText: () => string,
): string {
  const override = overrideOf(target);
  if (override !== null) return override;
  const text = contentText();
  return target.platform === 'WHATSAPP' ? text.replace(WHITESPACE_RUN, ' ') : text;
}

function composeContentText(content: Pick<ComplianceContent, 'body' | 'hashtags' | 'link'>): string {
  const bodies = content.body
    .map((b, index) => ({ order: LANGUAGE_ORDER[b.language] ?? 2, index, text: b.text.trim() }))
    .filter((b) => b.text)
    .sort((a, b) => a.order - b.order || a.index - b.index)
    .map((b) => b.text);
  const parts = [...bodies];
  const tags = normalizeHashtags(content.hashtags);
  if (tags.length) parts.push(tags.join(' '));
  const link = content.link?.trim();
  if (link) parts.push(link);
  return parts.join('\n\n');
}

/** The content's own text (no override), computed on first use and then reused. */
export function contentTextOnce(
  content: Pick<ComplianceContent, 'body' | 'hashtags' | 'link'>,
): () => string {
  let text: string | undefined;
  return () => (text ??= composeContentText(content));
}

/** How many `#` (or full-width `＃`) signs a text has: an upper bound on its hashtags. */
export function countHashSigns(text: string): number {
  return occurrences(text, '#', '\uFF03');
}

/** How many `@` (or full-width `＠`) signs a text has: an upper bound on its mentions. */
export function countAtSigns(text: string): number {
  return occurrences(text, '@', '\uFF20');
}

function occurrences(text: string, a: string, b: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === a || ch === b) n++;
  }
  return n;
}

/** Hashtags in a text as the platforms recognise them (twitter-text's rules). */
export function countHashtags(text: string): number {
  return extractHashtags(text).length;
}

/** @mentions in a text as the platforms recognise them (twitter-text's rules). */
export function countMentions(text: string): number {
  return extractMentions(text).length;
}
