import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { ContentKind, ContentSnapshotSchema, Language, PersonRole, Priority } from '@prasar/contracts';
import { renderForAccount, textHashOf, violationReason } from './content';

const snapshot = (overrides: MessageInitShape<typeof ContentSnapshotSchema> = {}) =>
  create(ContentSnapshotSchema, {
    contentId: 'c1',
    kind: ContentKind.ACHIEVEMENT,
    priority: Priority.NORMAL,
    title: 'गेहूं उपार्जन',
    body: [
      { language: Language.EN, text: 'Record wheat procurement.' },
      { language: Language.HI, text: 'रिकॉर्ड गेहूं उपार्जन।' },
    ],
    hashtags: ['MPKisan', '#mpkisan'],
    link: 'https://mpkrishi.mp.gov.in',
    targetAccountIds: ['a1', 'a2'],
    overrides: [{ accountId: 'a2', text: 'केवल X के लिए' }],
    ...overrides,
  });

describe('rendering a publication for its account', () => {
  it('composes the text as approved (Hindi first, hashtags, link), or uses the account override', () => {
    const composed = renderForAccount(snapshot(), { accountId: 'a1', platform: 'FACEBOOK' }, false);
    expect(composed.text).toBe(
      'रिकॉर्ड गेहूं उपार्जन।\n\nRecord wheat procurement.\n\n#MPKisan\n\nhttps://mpkrishi.mp.gov.in',
    );
    expect(composed.textHash).toBe(textHashOf(composed.text));
    expect(composed.violations).toEqual([]);
    expect(renderForAccount(snapshot(), { accountId: 'a2', platform: 'X' }, false).text).toBe('केवल X के लिए');
    expect(renderForAccount(snapshot(), { accountId: 'a1', platform: 'WHATSAPP' }, false).text).not.toMatch(
      /\n/,
    );
  });

  it('runs the compliance rules again: the advertisement photograph, duplicates, platform limits', () => {
    const ad = snapshot({
      kind: ContentKind.ADVERTISEMENT,
      media: [
        {
          url: 'https://cdn/ad.jpg',
          mimeType: 'image/jpeg',
          altText: 'मंत्री',
          people: [{ role: PersonRole.MINISTER, name: 'कृषि मंत्री' }],
        },
      ],
    });
    const rules = (r: { violations: { rule: string }[] }) => r.violations.map((v) => v.rule);
    expect(rules(renderForAccount(ad, { accountId: 'a1', platform: 'FACEBOOK' }, false))).toContain(
      'ADVERTISEMENT_PHOTOGRAPH',
    );
    expect(rules(renderForAccount(snapshot(), { accountId: 'a1', platform: 'X' }, true))).toContain(
      'DUPLICATE_TEXT',
    );
    expect(rules(renderForAccount(snapshot(), { accountId: 'a1', platform: 'INSTAGRAM' }, false))).toContain(
      'INSTAGRAM_MEDIA_REQUIRED',
    );
    expect(violationReason([{ field: 'f', rule: 'R', message: 'm' }])).toMatch(/R: m/);
  });
});
