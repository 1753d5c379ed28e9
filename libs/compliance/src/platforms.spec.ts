import { checkCompliance } from './check';
import { formatCount } from './platforms';
import { DEFAULT_POLICY } from './policy';
import { content, jpeg, target } from './test-fixtures';
import type { ComplianceContent, ComplianceMedia, ComplianceTarget, Platform } from './types';

const MB = 1024 * 1024;
const video = (overrides: Partial<ComplianceMedia> = {}) =>
  jpeg({ url: 'https://media.mp.gov.in/v.mp4', mimeType: 'video/mp4', sizeBytes: 50 * MB, ...overrides });

function variant(c: ComplianceContent, t: ComplianceTarget) {
  const report = checkCompliance(c, [t], DEFAULT_POLICY);
  const [v] = report.variants;
  if (!v) throw new Error('no variant');
  return v;
}
const rules = (c: ComplianceContent, t: ComplianceTarget) => variant(c, t).violations.map((v) => v.rule);
const text = (body: string): Partial<ComplianceContent> => ({
  body: [{ language: 'HI', text: body }],
  hashtags: [],
  link: null,
});

describe('X', () => {
  const x = target('X');
  // 'क' × n, then " ₹ 🎉" (1 + 2 + 1 + 2 = 6), then a blank line (2) and a link (23): n + 31.
  const hindiWithLink = (n: number): Partial<ComplianceContent> => ({
    body: [{ language: 'HI', text: `${'क'.repeat(n)} ₹ 🎉` }],
    hashtags: [],
    link: 'https://mp.gov.in/kisan/samman-nidhi?lang=hi',
  });

  it('accepts exactly 280 weighted (Devanagari, ₹, emoji and a link)', () => {
    const v = variant(content(hindiWithLink(249)), x);
    expect(v.weightedLength).toBe(280);
    expect(v.maxLength).toBe(280);
    expect(v.violations).toEqual([]);
  });

  it('refuses 281 weighted, saying how X counts', () => {
    const v = variant(content(hindiWithLink(250)), x);
    expect(v.weightedLength).toBe(281);
    expect(v.violations).toEqual([
      expect.objectContaining({
        field: 'variants[x-1].text',
        rule: 'X_TEXT_TOO_LONG',
        message: expect.stringContaining('281'),
      }),
    ]);
  });

  it('counts emoji as 2: 140 emoji fit, 141 do not', () => {
    expect(variant(content(text('😀'.repeat(140))), x).violations).toEqual([]);
    expect(rules(content(text('😀'.repeat(141))), x)).toEqual(['X_TEXT_TOO_LONG']);
  });

  it('counts each link as 23 however long it is', () => {
    const links = Array.from({ length: 12 }, (_, i) => `https://mp.gov.in/${'a'.repeat(100)}/${i}`).join(' ');
    expect(variant(content(text(links)), x).weightedLength).toBe(12 * 23 + 11);
  });

  it('counts hashtags in the composed text', () => {
    const v = variant(content({ ...text('नमस्ते'), hashtags: ['MPKisan', 'भारत'] }), x);
    expect(v.text).toBe('नमस्ते\n\n#MPKisan #भारत');
    expect(v.weightedLength).toBe(6 + 2 + 8 + 1 + 5);
  });

  it('measures an override instead of the body', () => {
    const v = variant(content(hindiWithLink(400)), target('X', { overrideText: 'छोटा संदेश' }));
    expect(v.text).toBe('छोटा संदेश');
    expect(v.violations).toEqual([]);
  });

  it.each<[string, ComplianceMedia[], string[]]>([
    ['no media', [], []],
    ['4 images', [jpeg(), jpeg(), jpeg(), jpeg({ mimeType: 'image/png' })], []],
    ['5 images', [jpeg(), jpeg(), jpeg(), jpeg(), jpeg()], ['X_MEDIA_LIMIT']],
    ['1 video', [video()], []],
    ['2 videos', [video(), video()], ['X_MEDIA_LIMIT']],
    ['1 GIF', [jpeg({ mimeType: 'image/gif' })], []],
    ['2 GIFs', [jpeg({ mimeType: 'image/gif' }), jpeg({ mimeType: 'image/gif' })], ['X_MEDIA_LIMIT']],
    ['an image and a video', [jpeg(), video()], ['X_MEDIA_LIMIT']],
    ['an image and a GIF', [jpeg(), jpeg({ mimeType: 'image/gif' })], ['X_MEDIA_LIMIT']],
  ])('%s', (_name, media, expected) => {
    expect(rules(content({ media }), x)).toEqual(expected);
  });
});

describe('Instagram', () => {
  const ig = target('INSTAGRAM');
  const igRules = (media: ComplianceMedia[]) => rules(content({ media }), ig);

  it('requires media', () => {
    expect(variant(content({ media: [] }), ig).violations).toEqual([
      expect.objectContaining({ field: 'variants[instagram-1].media', rule: 'INSTAGRAM_MEDIA_REQUIRED' }),
    ]);
  });

  it.each<[string, Partial<ComplianceMedia>, string[]]>([
    ['a square JPEG', {}, []],
    ['upper-case mime type', { mimeType: 'IMAGE/JPEG' }, []],
    ['PNG', { mimeType: 'image/png' }, ['INSTAGRAM_IMAGE_FORMAT']],
    ['WebP', { mimeType: 'image/webp' }, ['INSTAGRAM_IMAGE_FORMAT']],
    ['GIF', { mimeType: 'image/gif' }, ['INSTAGRAM_IMAGE_FORMAT']],
    ['exactly 8 MB', { sizeBytes: 8 * MB }, []],
    ['9 MB', { sizeBytes: 9 * MB }, ['INSTAGRAM_IMAGE_SIZE']],
    ['unknown size', { sizeBytes: undefined }, []],
    ['4:5 portrait', { widthPx: 1080, heightPx: 1350 }, []],
    ['1.91:1 landscape', { widthPx: 1910, heightPx: 1000 }, []],
    ['1080×566 landscape', { widthPx: 1080, heightPx: 566 }, []],
    ['1:3 (too tall)', { widthPx: 1080, heightPx: 3240 }, ['INSTAGRAM_ASPECT_RATIO']],
    ['9:16 story format (too tall)', { widthPx: 1080, heightPx: 1920 }, ['INSTAGRAM_ASPECT_RATIO']],
    ['just taller than 4:5', { widthPx: 1080, heightPx: 1351 }, ['INSTAGRAM_ASPECT_RATIO']],
    ['just wider than 1.91:1', { widthPx: 1911, heightPx: 1000 }, ['INSTAGRAM_ASPECT_RATIO']],
    ['2:1 (too wide)', { widthPx: 2000, heightPx: 1000 }, ['INSTAGRAM_ASPECT_RATIO']],
    ['unknown dimensions', { widthPx: undefined, heightPx: null }, []],
    [
      '9 MB PNG at 1:3',
      { mimeType: 'image/png', sizeBytes: 9 * MB, widthPx: 1000, heightPx: 3000 },
      ['INSTAGRAM_IMAGE_FORMAT', 'INSTAGRAM_IMAGE_SIZE', 'INSTAGRAM_ASPECT_RATIO'],
    ],
  ])('image: %s', (_name, overrides, expected) => {
    expect(igRules([jpeg(overrides)])).toEqual(expected);
  });

  it('names the media and field in each violation', () => {
    const v = variant(
      content({
        media: [jpeg(), jpeg({ mimeType: 'image/png', sizeBytes: 9 * MB, widthPx: 1080, heightPx: 3240 })],
      }),
      ig,
    );
    expect(v.violations.map((x) => x.field)).toEqual([
      'variants[instagram-1].media[1].mimeType',
      'variants[instagram-1].media[1].sizeBytes',
      'variants[instagram-1].media[1]',
    ]);
    expect(v.violations[0]?.message).toContain('image/png');
    expect(v.violations[1]?.message).toContain('9.0 MB');
    expect(v.violations[2]?.message).toContain('1080×3240');
  });

  it('does not apply the JPEG rules to videos', () => {
    expect(igRules([video({ widthPx: 1080, heightPx: 1920 })])).toEqual([]);
  });

  it('takes at most 10 items', () => {
    expect(igRules(Array.from({ length: 10 }, () => jpeg()))).toEqual([]);
    expect(igRules(Array.from({ length: 11 }, () => jpeg()))).toEqual(['INSTAGRAM_MEDIA_LIMIT']);
  });

  it.each([
    ['2,200 characters', 'क'.repeat(2_200), []],
    ['2,201 characters', 'क'.repeat(2_201), ['INSTAGRAM_CAPTION_TOO_LONG']],
  ])('caption of %s', (_name, body, expected) => {
    expect(rules(content(text(body)), ig)).toEqual(expected);
  });

  it.each([
    [30, []],
    [31, ['INSTAGRAM_HASHTAG_LIMIT']],
  ])('%i hashtags', (n, expected) => {
    const hashtags = Array.from({ length: n }, (_, i) => `किसान${i}`);
    expect(rules(content({ hashtags }), ig)).toEqual(expected);
  });

  it('counts hashtags written into an override', () => {
    const overrideText = Array.from({ length: 31 }, (_, i) => `#tag${i}`).join(' ');
    expect(rules(content(), target('INSTAGRAM', { overrideText }))).toEqual(['INSTAGRAM_HASHTAG_LIMIT']);
  });

  it.each([
    [20, []],
    [21, ['INSTAGRAM_MENTION_LIMIT']],
  ])('%i mentions', (n, expected) => {
    const overrideText = `धन्यवाद ${Array.from({ length: n }, (_, i) => `@office${i}`).join(' ')}`;
    expect(rules(content(), target('INSTAGRAM', { overrideText }))).toEqual(expected);
  });
});

describe('Facebook', () => {
  const fb = target('FACEBOOK');
  it.each([
    [63_206, []],
    [63_207, ['FACEBOOK_TEXT_TOO_LONG']],
  ])('%i characters', (n, expected) => {
    const v = variant(content(text('अ'.repeat(n))), fb);
    expect(v.weightedLength).toBe(n);
    expect(v.maxLength).toBe(63_206);
    expect(v.violations.map((x) => x.rule)).toEqual(expected);
  });

  it('says how long the post is', () => {
    expect(variant(content(text('a'.repeat(63_207))), fb).violations[0]?.message).toContain('63,207');
  });

  it('publishes text alone', () => {
    expect(rules(content({ media: [] }), fb)).toEqual([]);
  });
});

describe('WhatsApp', () => {
  const wa = target('WHATSAPP');

  it.each([
    [1_024, []],
    [1_025, ['WHATSAPP_TEXT_TOO_LONG']],
  ])('%i characters', (n, expected) => {
    const v = variant(content(text('ब'.repeat(n))), wa);
    expect(v.weightedLength).toBe(n);
    expect(v.violations.map((x) => x.rule)).toEqual(expected);
  });

  it('sends multi-paragraph content as one paragraph, which passes', () => {
    const v = variant(
      content({ body: [{ language: 'HI', text: 'पहला\n\n\nदूसरा\tतीसरा' }], link: 'https://mp.gov.in' }),
      wa,
    );
    expect(v.text).toBe('पहला दूसरा तीसरा #MPKisan https://mp.gov.in');
    expect(v.violations).toEqual([]);
  });

  it.each<[string, string, string[]]>([
    ['one paragraph', 'नमस्ते, यह संदेश है।', []],
    ['four spaces in a row', 'नमस्ते    यह', []],
    ['five spaces in a row', 'नमस्ते     यह', ['WHATSAPP_PARAMETER_FORMAT']],
    ['a line break', 'नमस्ते\nयह', ['WHATSAPP_PARAMETER_FORMAT']],
    ['a tab', 'नमस्ते\tयह', ['WHATSAPP_PARAMETER_FORMAT']],
    ['a carriage return', 'नमस्ते\r\nयह', ['WHATSAPP_PARAMETER_FORMAT']],
  ])('override with %s', (_name, overrideText, expected) => {
    expect(rules(content(), target('WHATSAPP', { overrideText }))).toEqual(expected);
  });

  it('explains both problems in one violation', () => {
    const [violation] = variant(content(), target('WHATSAPP', { overrideText: 'a\nb     c' })).violations;
    expect(violation?.message).toContain('line breaks or tabs and more than 4 spaces in a row');
  });

  it('has no media rules (the template header is chosen by the publisher)', () => {
    expect(rules(content({ media: [] }), wa)).toEqual([]);
    expect(rules(content({ media: [jpeg(), video(), jpeg({ mimeType: 'image/png' })] }), wa)).toEqual([]);
  });
});

describe('every platform', () => {
  it.each<Platform>(['X', 'FACEBOOK', 'INSTAGRAM', 'WHATSAPP'])('%s accepts ordinary content', (platform) => {
    expect(variant(content(), target(platform)).violations).toEqual([]);
  });

  it('refuses a platform it does not know', () => {
    expect(rules(content(), { accountId: 'l-1', platform: 'LINKEDIN' as Platform })).toEqual([
      'PLATFORM_UNSUPPORTED',
    ]);
  });

  it.each([
    [0, '0'],
    [999, '999'],
    [2_200, '2,200'],
    [63_207, '63,207'],
    [1_234_567, '1,234,567'],
  ])('formatCount(%i) = %s', (n, expected) => {
    expect(formatCount(n)).toBe(expected);
  });
});
