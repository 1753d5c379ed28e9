import { checkCompliance } from './check';
import { compilePolicy, DEFAULT_POLICY } from './policy';
import { ALL_TARGETS, content, jpeg, target } from './test-fixtures';
import type { ComplianceContent } from './types';

const contentViolations = (c: ComplianceContent) =>
  checkCompliance(c, ALL_TARGETS, DEFAULT_POLICY).violations.map((v) => `${v.rule} ${v.field}`);

describe('checkCompliance report', () => {
  it('passes ordinary content to all four platforms', () => {
    const report = checkCompliance(content(), ALL_TARGETS, DEFAULT_POLICY);
    expect(report.ok).toBe(true);
    expect(report.violations).toEqual([]);
    expect(report.variants.map((v) => [v.accountId, v.platform, v.weightedLength, v.maxLength])).toEqual([
      ['x-1', 'X', 84, 280],
      ['facebook-1', 'FACEBOOK', 84, 63_206],
      ['instagram-1', 'INSTAGRAM', 84, 2_200],
      ['whatsapp-1', 'WHATSAPP', 82, 1_024],
    ]);
    expect(report.variants[0]?.text).toBe(
      'गेहूँ उपार्जन 10 लाख टन के पार।\n\nWheat procurement crossed 10 lakh tonnes.\n\n#MPKisan',
    );
  });

  it('is not ok when only a variant has a violation', () => {
    const report = checkCompliance(content({ media: [] }), ALL_TARGETS, DEFAULT_POLICY);
    expect(report.violations).toEqual([]);
    expect(report.variants.map((v) => v.violations.length)).toEqual([0, 0, 1, 0]);
    expect(report.ok).toBe(false);
  });

  it('gives the same answer every time, with a raw or a compiled policy', () => {
    const c = content({
      kind: 'ADVERTISEMENT',
      title: 'BJP',
      media: [jpeg({ people: [{ role: 'MINISTER', name: 'A' }] })],
    });
    const first = checkCompliance(c, ALL_TARGETS, DEFAULT_POLICY);
    expect(checkCompliance(c, ALL_TARGETS, compilePolicy(DEFAULT_POLICY))).toEqual(first);
    expect(checkCompliance(c, ALL_TARGETS, DEFAULT_POLICY)).toEqual(first);
    expect(first.ok).toBe(false);
  });

  it('refuses content without targets', () => {
    const report = checkCompliance(content(), [], DEFAULT_POLICY);
    expect(report.violations.map((v) => `${v.rule} ${v.field}`)).toEqual([
      'TARGETS_REQUIRED targetAccountIds',
    ]);
    expect(report.variants).toEqual([]);
  });

  it('reports an account listed twice, and checks it once', () => {
    const report = checkCompliance(content(), [target('X'), target('FACEBOOK'), target('X')], DEFAULT_POLICY);
    expect(report.violations.map((v) => `${v.rule} ${v.field}`)).toEqual([
      'TARGET_DUPLICATE targetAccountIds[2]',
    ]);
    expect(report.variants.map((v) => v.accountId)).toEqual(['x-1', 'facebook-1']);
  });
});

describe('content-level rules', () => {
  it.each<[string, Partial<ComplianceContent>, string[]]>([
    ['no body', { body: [] }, ['BODY_REQUIRED body']],
    [
      'only blank body texts',
      {
        body: [
          { language: 'HI', text: ' \n ' },
          { language: 'EN', text: '' },
        ],
      },
      ['BODY_REQUIRED body'],
    ],
    ['English only', { body: [{ language: 'EN', text: 'Hello' }] }, []],
    ['Hindi only', { body: [{ language: 'HI', text: 'नमस्ते' }] }, []],
    ['ORDER without evidence', { kind: 'ORDER', evidence: null }, ['EVIDENCE_REQUIRED evidence']],
    [
      'ORDER with blank evidence',
      { kind: 'ORDER', evidence: { orderNumber: ' ', documentUrl: '' } },
      ['EVIDENCE_REQUIRED evidence.orderNumber', 'EVIDENCE_REQUIRED evidence.documentUrl'],
    ],
    [
      'ORDER with evidence',
      {
        kind: 'ORDER',
        evidence: { orderNumber: 'F-12/2024/14-2', documentUrl: 'https://mp.gov.in/orders/12.pdf' },
      },
      [],
    ],
    ['an achievement without evidence', { kind: 'ACHIEVEMENT', evidence: null }, []],
    [
      'media without alt text',
      { media: [jpeg(), jpeg({ altText: '  ' }), jpeg({ altText: '' })] },
      ['ALT_TEXT_REQUIRED media[1].altText', 'ALT_TEXT_REQUIRED media[2].altText'],
    ],
  ])('%s', (_name, overrides, expected) => {
    expect(contentViolations(content(overrides))).toEqual(expected);
  });

  it('explains the evidence rule', () => {
    const [violation] = checkCompliance(content({ kind: 'ORDER' }), ALL_TARGETS, DEFAULT_POLICY).violations;
    expect(violation?.message).toBe(
      'An order must carry its order number and the URL of the signed order it reports.',
    );
  });
});

describe('POLITICAL_NEUTRALITY across fields', () => {
  it.each<[string, Partial<ComplianceContent>, string]>([
    ['party name in the title (English)', { title: 'BJP government scheme' }, 'title'],
    [
      'party name in Hindi in the body',
      {
        body: [
          { language: 'EN', text: 'ok' },
          { language: 'HI', text: 'भाजपा सरकार' },
        ],
      },
      'body[1].text',
    ],
    [
      'party name in English in the body',
      { body: [{ language: 'EN', text: 'The Congress promised' }] },
      'body[0].text',
    ],
    ['party name in a hashtag', { hashtags: ['MPKisan', '#भाजपा'] }, 'hashtags[1]'],
    ['run-together hashtag', { hashtags: ['VoteForBJP'] }, 'hashtags[0]'],
    ['party domain in the link', { link: 'https://mp.bjp.org/kisan' }, 'link'],
    [
      'party name in a percent-encoded link',
      { link: 'https://example.in/?q=%E0%A4%AD%E0%A4%BE%E0%A4%9C%E0%A4%AA%E0%A4%BE' },
      'link',
    ],
    [
      'party domain in bare text',
      { body: [{ language: 'EN', text: 'Details at inc.in today' }] },
      'body[0].text',
    ],
    ['symbol in the body', { body: [{ language: 'HI', text: 'कमल का निशान' }] }, 'body[0].text'],
    ['party name in alt text', { media: [jpeg({ altText: 'BJP flag at the event' })] }, 'media[0].altText'],
    [
      'media hosted on a party domain',
      { media: [jpeg({ url: 'https://cdn.bjp.org/a.jpg' })] },
      'media[0].url',
    ],
  ])('%s', (_name, overrides, field) => {
    const report = checkCompliance(content(overrides), ALL_TARGETS, DEFAULT_POLICY);
    expect(report.violations.map((v) => `${v.rule} ${v.field}`)).toEqual([`POLITICAL_NEUTRALITY ${field}`]);
    // Reported once at content level, not again for every target whose text repeats it.
    expect(report.variants.flatMap((v) => v.violations)).toEqual([]);
    expect(report.ok).toBe(false);
  });

  it('names what it found, in one violation per field', () => {
    const report = checkCompliance(
      content({ title: 'BJP और कांग्रेस, lotus symbol, bjp.org' }),
      ALL_TARGETS,
      DEFAULT_POLICY,
    );
    expect(report.violations).toHaveLength(1);
    expect(report.violations[0]?.message).toMatch(
      /^The title mentions party name "BJP", party name "कांग्रेस", party symbol "lotus symbol", party website "bjp.org"\. Government publicity must stay politically neutral/,
    );
  });

  it('checks overrides per target', () => {
    const report = checkCompliance(
      content(),
      [
        target('X', { overrideText: 'भाजपा सरकार का तोहफ़ा' }),
        target('FACEBOOK', { overrideText: 'अच्छी खबर' }),
      ],
      DEFAULT_POLICY,
    );
    expect(report.violations).toEqual([]);
    expect(report.variants[0]?.violations.map((v) => `${v.rule} ${v.field}`)).toEqual([
      'POLITICAL_NEUTRALITY variants[x-1].text',
    ]);
    expect(report.variants[1]?.violations).toEqual([]);
  });

  it('does not flag "Congressional" or "सपाट"', () => {
    const report = checkCompliance(
      content({
        body: [{ language: 'EN', text: 'A Congressional delegation saw the सपाट सड़क (flat road).' }],
      }),
      ALL_TARGETS,
      DEFAULT_POLICY,
    );
    expect(report.ok).toBe(true);
  });
});

describe('DUPLICATE_TEXT', () => {
  it('asks per target with the exact text to be published', () => {
    const asked: [string, string][] = [];
    const published = new Set([
      'x-1\u0000गेहूँ उपार्जन 10 लाख टन के पार।\n\nWheat procurement crossed 10 lakh tonnes.\n\n#MPKisan',
    ]);
    const report = checkCompliance(content(), ALL_TARGETS, DEFAULT_POLICY, {
      isDuplicate: (accountId, text) => {
        asked.push([accountId, text]);
        return published.has(`${accountId}\u0000${text}`);
      },
    });
    expect(asked.map(([id]) => id)).toEqual(['x-1', 'facebook-1', 'instagram-1', 'whatsapp-1']);
    expect(asked[3]?.[1]).toBe(
      'गेहूँ उपार्जन 10 लाख टन के पार। Wheat procurement crossed 10 lakh tonnes. #MPKisan',
    );
    expect(report.variants.map((v) => v.violations.map((x) => `${x.rule} ${x.field}`))).toEqual([
      ['DUPLICATE_TEXT variants[x-1].text'],
      [],
      [],
      [],
    ]);
    expect(report.ok).toBe(false);
  });

  it('an override with new wording is not a duplicate', () => {
    const report = checkCompliance(content(), [target('X', { overrideText: 'नया संदेश' })], DEFAULT_POLICY, {
      isDuplicate: (_id, text) => text !== 'नया संदेश',
    });
    expect(report.ok).toBe(true);
  });

  it('without isDuplicate nothing is a duplicate', () => {
    expect(checkCompliance(content(), ALL_TARGETS, DEFAULT_POLICY, {}).ok).toBe(true);
  });
});
