import { composeVariantText, normalizeHashtags, weightedLength } from './text';
import { content } from './test-fixtures';

describe('weightedLength (X count, twitter-text)', () => {
  it.each([
    ['empty', '', 0],
    ['English', 'Hello', 5],
    ['Hindi: every code point counts 1, matras and virama included', 'नमस्ते', 6],
    ['Hindi with anusvara and matras', 'किसानों', 7],
    ['nukta letter written precomposed (NFC splits it)', '\u095B', 2],
    ['nukta letter written as base + nukta', '\u091C\u093C', 2],
    ['hashtag in Hindi', '#भारत', 5],
    ['rupee sign counts 2', '₹', 2],
    ['rupee amount', '₹500', 5],
    ['emoji counts 2', '😀', 2],
    ['ZWJ family emoji counts 2', '👨\u200D👩\u200D👧', 2],
    ['flag emoji counts 2', '🇮🇳', 2],
    ['mixed English, Hindi, emoji and ₹', 'Hello नमस्ते 😀 ₹', 18],
    ['a URL counts 23', 'https://mp.gov.in/kisan/yojana?year=2024', 23],
    ['a bare domain counts 23 too', 'see mp.gov.in', 27],
    ['every link counts 23', 'a https://x.com/1 b https://mp.gov.in/2', 51],
  ])('%s', (_name, text, expected) => {
    expect(weightedLength(text)).toBe(expected);
  });
});

describe('normalizeHashtags', () => {
  it.each([
    [['MPKisan'], ['#MPKisan']],
    [['#MPKisan', 'mpkisan', ' MPKISAN '], ['#MPKisan']],
    [
      ['##double', '＃fullwidth'],
      ['#double', '#fullwidth'],
    ],
    [['', '  ', '#'], []],
    [
      ['किसान_कल्याण', '#किसान_कल्याण', 'MadhyaPradesh'],
      ['#किसान_कल्याण', '#MadhyaPradesh'],
    ],
  ])('%j → %j', (input, expected) => {
    expect(normalizeHashtags(input)).toEqual(expected);
  });
});

describe('composeVariantText', () => {
  const c = content({
    body: [
      { language: 'EN', text: '  Wheat procurement crossed 10 lakh tonnes.  ' },
      { language: 'HI', text: 'गेहूँ उपार्जन 10 लाख टन के पार।\nकिसानों को ₹ 2,000 करोड़ का भुगतान।' },
    ],
    hashtags: ['MPKisan', '#mpkisan', 'गेहूँ_उपार्जन'],
    link: 'https://mp.gov.in/wheat',
  });

  it('puts Hindi first, then English, then hashtags, then the link', () => {
    expect(composeVariantText(c, { platform: 'X' })).toBe(
      'गेहूँ उपार्जन 10 लाख टन के पार।\nकिसानों को ₹ 2,000 करोड़ का भुगतान।\n\n' +
        'Wheat procurement crossed 10 lakh tonnes.\n\n' +
        '#MPKisan #गेहूँ_उपार्जन\n\n' +
        'https://mp.gov.in/wheat',
    );
  });

  it('uses a non-blank override as written', () => {
    expect(composeVariantText(c, { platform: 'X', overrideText: 'Only this\n\ntext' })).toBe(
      'Only this\n\ntext',
    );
  });

  it.each([[''], ['   '], [null], [undefined]])('ignores a blank override (%j)', (overrideText) => {
    expect(composeVariantText(c, { platform: 'FACEBOOK', overrideText })).toBe(
      composeVariantText(c, { platform: 'X' }),
    );
  });

  it('writes one paragraph for WhatsApp (template parameters cannot hold line breaks)', () => {
    expect(composeVariantText(c, { platform: 'WHATSAPP' })).toBe(
      'गेहूँ उपार्जन 10 लाख टन के पार। किसानों को ₹ 2,000 करोड़ का भुगतान। ' +
        'Wheat procurement crossed 10 lakh tonnes. #MPKisan #गेहूँ_उपार्जन https://mp.gov.in/wheat',
    );
  });

  it('keeps the given order of texts in the same language and skips blank ones', () => {
    const multi = content({
      body: [
        { language: 'EN', text: 'one' },
        { language: 'HI', text: ' ' },
        { language: 'EN', text: 'two' },
      ],
      hashtags: [],
      link: null,
    });
    expect(composeVariantText(multi, { platform: 'FACEBOOK' })).toBe('one\n\ntwo');
  });

  it('is empty when there is nothing to say', () => {
    expect(composeVariantText(content({ body: [], hashtags: [], link: null }), { platform: 'X' })).toBe('');
  });
});
