import type { Violation } from '@prasar/auth';
import { RULES } from './rules';
import {
  characterCount,
  countAtSigns,
  countHashSigns,
  countHashtags,
  countMentions,
  weightedLength,
} from './text';
import type { ComplianceMedia, Platform } from './types';

/** The platform limits the checks apply. */
export const PLATFORM_LIMITS = {
  X: { maxWeightedLength: 280, maxImages: 4, maxVideos: 1, maxGifs: 1 },
  INSTAGRAM: {
    maxCaptionLength: 2_200,
    maxHashtags: 30,
    maxMentions: 20,
    maxItems: 10,
    maxImageBytes: 8 * 1024 * 1024,
    /** Width:height bounds as integer ratios, so the comparison is exact: 4:5 to 1.91:1. */
    minAspect: { width: 4, height: 5 },
    maxAspect: { width: 191, height: 100 },
    imageMimeType: 'image/jpeg',
  },
  FACEBOOK: { maxLength: 63_206 },
  WHATSAPP: { maxParameterLength: 1_024, maxConsecutiveSpaces: 4 },
} as const;

/** How long a text is as the platform counts it, against which limit. */
export function measureText(platform: Platform, text: string): { length: number; maxLength: number } {
  switch (platform) {
    case 'X':
      return { length: weightedLength(text), maxLength: PLATFORM_LIMITS.X.maxWeightedLength };
    case 'INSTAGRAM':
      return { length: characterCount(text), maxLength: PLATFORM_LIMITS.INSTAGRAM.maxCaptionLength };
    case 'FACEBOOK':
      return { length: characterCount(text), maxLength: PLATFORM_LIMITS.FACEBOOK.maxLength };
    case 'WHATSAPP':
      return { length: characterCount(text), maxLength: PLATFORM_LIMITS.WHATSAPP.maxParameterLength };
    default:
      return { length: characterCount(text), maxLength: 0 };
  }
}

type MediaKind = 'IMAGE' | 'GIF' | 'VIDEO';

function mimeOf(media: ComplianceMedia): string {
  return media.mimeType.trim().toLowerCase().split(';')[0]?.trim() ?? '';
}

function kindOf(media: ComplianceMedia): MediaKind {
  const mime = mimeOf(media);
  if (mime.startsWith('video/')) return 'VIDEO';
  if (mime === 'image/gif') return 'GIF';
  return 'IMAGE';
}

/** 1234567 → "1,234,567" without depending on the runtime's locale data. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export interface PlatformCheckInput {
  platform: Platform;
  /** `variants[<accountId>]`: every field of a variant violation starts with it. */
  fieldPrefix: string;
  text: string;
  length: number;
  media: readonly ComplianceMedia[];
}

function checkX(input: PlatformCheckInput, out: Violation[]): void {
  const limits = PLATFORM_LIMITS.X;
  if (input.length > limits.maxWeightedLength)
    out.push({
      field: `${input.fieldPrefix}.text`,
      rule: RULES.X_TEXT_TOO_LONG,
      message:
        `The X post is ${formatCount(input.length)} long by X's weighted count; the limit is ${limits.maxWeightedLength} ` +
        `(Devanagari letters and signs count 1, emoji and ₹ count 2, every link counts 23). Shorten it or write an X override.`,
    });
  let images = 0;
  let gifs = 0;
  let videos = 0;
  for (const m of input.media) {
    const kind = kindOf(m);
    if (kind === 'IMAGE') images++;
    else if (kind === 'GIF') gifs++;
    else videos++;
  }
  const problem =
    (images > 0 ? 1 : 0) + (gifs > 0 ? 1 : 0) + (videos > 0 ? 1 : 0) > 1
      ? 'mixes images, GIFs and videos'
      : images > limits.maxImages
        ? `has ${images} images`
        : videos > limits.maxVideos
          ? `has ${videos} videos`
          : gifs > limits.maxGifs
            ? `has ${gifs} GIFs`
            : null;
  if (problem)
    out.push({
      field: `${input.fieldPrefix}.media`,
      rule: RULES.X_MEDIA_LIMIT,
      message: `The X post ${problem}; X takes at most ${limits.maxImages} images, or 1 video, or 1 GIF, never mixed.`,
    });
}

function checkInstagram(input: PlatformCheckInput, out: Violation[]): void {
  const limits = PLATFORM_LIMITS.INSTAGRAM;
  const prefix = input.fieldPrefix;
  if (input.media.length === 0)
    out.push({
      field: `${prefix}.media`,
      rule: RULES.INSTAGRAM_MEDIA_REQUIRED,
      message: 'An Instagram post needs at least one image or video; Instagram does not publish text alone.',
    });
  if (input.media.length > limits.maxItems)
    out.push({
      field: `${prefix}.media`,
      rule: RULES.INSTAGRAM_MEDIA_LIMIT,
      message: `An Instagram post takes at most ${limits.maxItems} images or videos; this one has ${input.media.length}.`,
    });
  input.media.forEach((m, i) => {
    if (kindOf(m) === 'VIDEO') return;
    const field = `${prefix}.media[${i}]`;
    const mime = mimeOf(m);
    if (mime !== limits.imageMimeType)
      out.push({
        field: `${field}.mimeType`,
        rule: RULES.INSTAGRAM_IMAGE_FORMAT,
        message: `Instagram publishes JPEG images only; media ${i + 1} is ${mime || 'of unknown type'}. Convert it to JPEG.`,
      });
    if (typeof m.sizeBytes === 'number' && m.sizeBytes > limits.maxImageBytes)
      out.push({
        field: `${field}.sizeBytes`,
        rule: RULES.INSTAGRAM_IMAGE_SIZE,
        message: `Instagram images may be at most ${formatMegabytes(limits.maxImageBytes)}; media ${i + 1} is ${formatMegabytes(m.sizeBytes)}.`,
      });
    const w = m.widthPx;
    const h = m.heightPx;
    if (typeof w === 'number' && typeof h === 'number' && w > 0 && h > 0) {
      const tooTall = w * limits.minAspect.height < h * limits.minAspect.width;
      const tooWide = w * limits.maxAspect.height > h * limits.maxAspect.width;
      if (tooTall || tooWide)
        out.push({
          field,
          rule: RULES.INSTAGRAM_ASPECT_RATIO,
          message:
            `Media ${i + 1} is ${w}×${h} pixels (aspect ${(w / h).toFixed(2)}:1); Instagram takes images from 4:5 ` +
            `(0.80:1, portrait) to 1.91:1 (landscape). Crop it ${tooTall ? 'shorter' : 'narrower'}.`,
        });
    }
  });
  if (input.length > limits.maxCaptionLength)
    out.push({
      field: `${prefix}.text`,
      rule: RULES.INSTAGRAM_CAPTION_TOO_LONG,
      message: `The Instagram caption has ${formatCount(input.length)} characters; the limit is ${formatCount(limits.maxCaptionLength)}.`,
    });
  // Parsing is skipped when there are not even enough # or @ signs to break the limit.
  const hashtags = countHashSigns(input.text) > limits.maxHashtags ? countHashtags(input.text) : 0;
  if (hashtags > limits.maxHashtags)
    out.push({
      field: `${prefix}.text`,
      rule: RULES.INSTAGRAM_HASHTAG_LIMIT,
      message: `The Instagram caption has ${hashtags} hashtags; Instagram allows at most ${limits.maxHashtags}.`,
    });
  const mentions = countAtSigns(input.text) > limits.maxMentions ? countMentions(input.text) : 0;
  if (mentions > limits.maxMentions)
    out.push({
      field: `${prefix}.text`,
      rule: RULES.INSTAGRAM_MENTION_LIMIT,
      message: `The Instagram caption has ${mentions} @mentions; Instagram allows at most ${limits.maxMentions}.`,
    });
}

function checkFacebook(input: PlatformCheckInput, out: Violation[]): void {
  const max = PLATFORM_LIMITS.FACEBOOK.maxLength;
  if (input.length > max)
    out.push({
      field: `${input.fieldPrefix}.text`,
      rule: RULES.FACEBOOK_TEXT_TOO_LONG,
      message: `The Facebook post has ${formatCount(input.length)} characters; the limit is ${formatCount(max)}.`,
    });
}

const LINE_BREAK_OR_TAB = /[\r\n\t\v\f\u2028\u2029]/;
const TOO_MANY_SPACES = new RegExp(` {${PLATFORM_LIMITS.WHATSAPP.maxConsecutiveSpaces + 1},}`);

function checkWhatsApp(input: PlatformCheckInput, out: Violation[]): void {
  const limits = PLATFORM_LIMITS.WHATSAPP;
  if (input.length > limits.maxParameterLength)
    out.push({
      field: `${input.fieldPrefix}.text`,
      rule: RULES.WHATSAPP_TEXT_TOO_LONG,
      message:
        `The WhatsApp message has ${formatCount(input.length)} characters; it is sent as the body of an approved ` +
        `template, which holds at most ${formatCount(limits.maxParameterLength)}. Shorten it or write a WhatsApp override.`,
    });
  const problems: string[] = [];
  if (LINE_BREAK_OR_TAB.test(input.text)) problems.push('line breaks or tabs');
  if (TOO_MANY_SPACES.test(input.text))
    problems.push(`more than ${limits.maxConsecutiveSpaces} spaces in a row`);
  if (problems.length)
    out.push({
      field: `${input.fieldPrefix}.text`,
      rule: RULES.WHATSAPP_PARAMETER_FORMAT,
      message:
        `The WhatsApp message contains ${problems.join(' and ')}; WhatsApp refuses a template parameter that does. ` +
        'Write the WhatsApp override as one paragraph.',
    });
}

/** The platform's own limits for one target's text and the content's media. */
export function checkPlatformRules(input: PlatformCheckInput, out: Violation[]): void {
  switch (input.platform) {
    case 'X':
      return checkX(input, out);
    case 'INSTAGRAM':
      return checkInstagram(input, out);
    case 'FACEBOOK':
      return checkFacebook(input, out);
    case 'WHATSAPP':
      return checkWhatsApp(input, out);
    default:
      out.push({
        field: `${input.fieldPrefix}.platform`,
        rule: RULES.PLATFORM_UNSUPPORTED,
        message: `Prasar cannot publish to platform "${String(input.platform)}".`,
      });
  }
}
