// Compliance at submission and in validateContent, against the real database and broker: the
// accounts read model and the published texts are fed by events this test produces to Kafka.
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { DomainError, type Violation } from '@prasar/auth';
import {
  AccountConnectedSchema,
  AccountNeedsReauthSchema,
  Platform as PbPlatform,
  PublicationPublishedSchema,
} from '@prasar/contracts';
import { asPlatform } from '@prasar/persistence';
import { TargetAccount } from '../accounts/target-account.entity';
import { Content } from '../content/content.entity';
import { toContentBody, type ContentInputArgs } from '../content/content.resolver';
import {
  contentInput,
  IT_CELL,
  principal,
  startIntake,
  uniqueCode,
  type IntakeHarness,
} from '../testing/intake-harness';

async function refusal(work: Promise<unknown>) {
  try {
    await work;
    return null;
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return { code: err.code, violations: err.violations };
  }
}
const rules = (violations: Violation[] | undefined) => (violations ?? []).map((v) => `${v.field}:${v.rule}`);

const JPEG = {
  url: 'https://media.mp.gov.in/agri/kisan.jpg',
  mimeType: 'image/jpeg',
  altText: 'किसान खेत में / A farmer in the field',
  people: [],
};

describe('compliance checks through validateContent and submitContent', () => {
  let h: IntakeHarness;
  const code = uniqueCode('agri');
  let departmentId: string;
  const editor = () => principal('DEPT_EDITOR', code);
  const X = () => `x-${code}`;
  const FB = () => `fb-${code}`;
  const IG = () => `ig-${code}`;
  const WA = () => `wa-${code}`;
  const input = (overrides: Partial<ContentInputArgs> = {}) =>
    toContentBody(contentInput({ targetAccountIds: [X(), FB()], ...overrides }));
  const validate = (overrides: Partial<ContentInputArgs> = {}) =>
    h.contents.validate(editor(), departmentId, input(overrides));
  const variant = async (overrides: Partial<ContentInputArgs>, accountId: string) =>
    (await validate(overrides)).find((v) => v.account.id === accountId);

  beforeAll(async () => {
    h = await startIntake('compliance', { consume: true });
    departmentId = await h.department(code);
    // The publisher announces the department's accounts; intake learns them from the events.
    const platforms: [string, PbPlatform][] = [
      [X(), PbPlatform.X],
      [FB(), PbPlatform.FACEBOOK],
      [IG(), PbPlatform.INSTAGRAM],
      [WA(), PbPlatform.WHATSAPP],
    ];
    for (const [accountId, platform] of platforms) {
      const id = await h.emit(AccountConnectedSchema, {
        accountId,
        departmentId,
        platform,
        handle: `@mp_${accountId}`,
        externalAccountId: `ext-${accountId}`,
        actor: { subject: 'it-cell-admin', name: 'IT cell', roles: ['IT_CELL_ADMIN'] },
      });
      expect(await h.handled(id)).toBe('handled');
    }
  });

  afterAll(async () => {
    await h?.close();
  });

  describe('the accounts read model', () => {
    it('knows accounts from AccountConnected and their status from AccountNeedsReauth', async () => {
      const reauth = await h.emit(AccountNeedsReauthSchema, {
        accountId: WA(),
        departmentId,
        platform: PbPlatform.WHATSAPP,
        handle: '',
        reason: 'token revoked',
      });
      expect(await h.handled(reauth)).toBe('handled');
      const accounts = await asPlatform(h.ds, (em) =>
        em.find(TargetAccount, { where: { departmentId }, order: { id: 'ASC' } }),
      );
      expect(accounts.map((a) => [a.id, a.platform, a.handle, a.status])).toEqual(
        [
          [FB(), 'FACEBOOK', `@mp_${FB()}`, 'ACTIVE'],
          [IG(), 'INSTAGRAM', `@mp_${IG()}`, 'ACTIVE'],
          [WA(), 'WHATSAPP', `@mp_${WA()}`, 'NEEDS_REAUTH'],
          [X(), 'X', `@mp_${X()}`, 'ACTIVE'],
        ].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      );
      // An account that needs reconnecting is still the department's: content may target it.
      const variants = await validate({ targetAccountIds: [WA()] });
      expect(variants.map((v) => [v.account.id, v.platform])).toEqual([[WA(), 'WHATSAPP']]);
    });

    it("refuses unknown and another department's accounts with BAD_USER_INPUT, UNKNOWN_ACCOUNT", async () => {
      const other = uniqueCode('health');
      const otherId = await h.department(other);
      const otherAccount = await h.emit(AccountConnectedSchema, {
        accountId: `x-${other}`,
        departmentId: otherId,
        platform: PbPlatform.X,
        handle: '@health',
      });
      await h.handled(otherAccount);
      for (const ids of [['x-unknown'], [`x-${other}`]]) {
        const refused = await refusal(validate({ targetAccountIds: [X(), ...ids] }));
        expect(refused?.code).toBe('BAD_USER_INPUT');
        expect(rules(refused?.violations)).toEqual(['targetAccountIds:UNKNOWN_ACCOUNT']);
      }
    });
  });

  describe('texts and lengths as each platform counts them', () => {
    it.each([
      [
        'Hindi',
        { body: [{ language: 'HI' as const, text: 'गेहूं उपार्जन में मध्यप्रदेश देश में पहले स्थान पर।' }], hashtags: [] },
        'गेहूं उपार्जन में मध्यप्रदेश देश में पहले स्थान पर।',
        51,
        51,
      ],
      [
        'English',
        {
          body: [{ language: 'EN' as const, text: 'Madhya Pradesh leads wheat procurement.' }],
          hashtags: [],
        },
        'Madhya Pradesh leads wheat procurement.',
        39,
        39,
      ],
      [
        'mixed (Hindi first)',
        {
          body: [
            { language: 'EN' as const, text: 'Wheat' },
            { language: 'HI' as const, text: 'गेहूं' },
          ],
          hashtags: [],
        },
        'गेहूं\n\nWheat',
        12,
        12,
      ],
      // Devanagari counts 1 per code point, ₹ and each emoji 2 on X; Facebook counts UTF-16 units.
      [
        'emoji and the rupee sign',
        { body: [{ language: 'HI' as const, text: 'किसानों को ₹2,600 प्रति क्विंटल 🌾🇮🇳' }], hashtags: [] },
        'किसानों को ₹2,600 प्रति क्विंटल 🌾🇮🇳',
        37,
        38,
      ],
      // Every link counts 23 on X; hashtags are published once each, with one #.
      [
        'links and hashtags',
        {
          body: [{ language: 'EN' as const, text: 'Apply now' }],
          hashtags: ['MPKisan', '#किसान', 'mpkisan'],
          link: 'https://mpkrishi.mp.gov.in/yojana?id=7',
        },
        'Apply now\n\n#MPKisan #किसान\n\nhttps://mpkrishi.mp.gov.in/yojana?id=7',
        51,
        66,
      ],
    ])('%s', async (_label, overrides, text, xLength, facebookLength) => {
      const variants = await validate(overrides);
      expect(
        variants.map((v) => ({
          id: v.account.id,
          platform: v.platform,
          text: v.text,
          length: v.weightedLength,
          violations: v.violations,
        })),
      ).toEqual([
        { id: X(), platform: 'X', text, length: xLength, violations: [] },
        { id: FB(), platform: 'FACEBOOK', text, length: facebookLength, violations: [] },
      ]);
    });

    it('writes the WhatsApp text as one paragraph', async () => {
      const wa = await variant(
        {
          targetAccountIds: [WA()],
          body: [
            { language: 'EN', text: 'Wheat' },
            { language: 'HI', text: 'गेहूं' },
          ],
        },
        WA(),
      );
      expect(wa).toMatchObject({ platform: 'WHATSAPP', text: 'गेहूं Wheat #MPKisan', violations: [] });
    });

    it('refuses X text over 280 by weighted length, on X only', async () => {
      const at = (n: number) => ({ body: [{ language: 'HI' as const, text: 'क'.repeat(n) }], hashtags: [] });
      expect(await variant(at(280), X())).toMatchObject({ weightedLength: 280, violations: [] });
      const over = await validate(at(281));
      expect(over.map((v) => [v.account.id, v.weightedLength, rules(v.violations)])).toEqual([
        [X(), 281, [`variants[${X()}].text:X_TEXT_TOO_LONG`]],
        [FB(), 281, []],
      ]);
      // Three rupee signs and a flag push 275 Devanagari characters over: ₹ and emoji weigh 2.
      const weighted = await variant(
        { body: [{ language: 'HI', text: `${'क'.repeat(273)}₹₹₹🇮🇳` }], hashtags: [] },
        X(),
      );
      expect(weighted).toMatchObject({ weightedLength: 281, violations: [{ rule: 'X_TEXT_TOO_LONG' }] });

      const content = await h.contents.create(editor(), departmentId, input(at(281)));
      const refused = await refusal(h.contents.submit(editor(), content.id));
      expect(refused?.code).toBe('COMPLIANCE_VIOLATION');
      expect(rules(refused?.violations)).toEqual([`variants[${X()}].text:X_TEXT_TOO_LONG`]);
      expect(await statusOf(content.id)).toBe('DRAFT');
    });

    it('refuses Instagram without media', async () => {
      expect(rules((await variant({ targetAccountIds: [IG()] }, IG()))?.violations)).toEqual([
        `variants[${IG()}].media:INSTAGRAM_MEDIA_REQUIRED`,
      ]);
      expect((await variant({ targetAccountIds: [IG()], media: [JPEG] }, IG()))?.violations).toEqual([]);
      const content = await h.contents.create(editor(), departmentId, input({ targetAccountIds: [IG()] }));
      const refused = await refusal(h.contents.submit(editor(), content.id));
      expect(refused?.code).toBe('COMPLIANCE_VIOLATION');
      expect(rules(refused?.violations)).toEqual([`variants[${IG()}].media:INSTAGRAM_MEDIA_REQUIRED`]);
    });
  });

  describe('the advertisement photograph rule', () => {
    const advert = (
      people: { role: 'MINISTER' | 'CHIEF_MINISTER' | 'GOVERNOR'; name: string }[],
    ): Partial<ContentInputArgs> => ({ kind: 'ADVERTISEMENT', media: [{ ...JPEG, people }] });

    afterEach(async () => {
      await h.compliance.setAdvertisementAllowList(
        IT_CELL,
        ['PRESIDENT', 'PRIME_MINISTER', 'GOVERNOR', 'CHIEF_MINISTER'],
        false,
      );
      await h.compliance.setDepartmentMinisters(IT_CELL, departmentId, []);
    });

    it('refuses an advertisement showing a minister, naming the person, on every target and at submission', async () => {
      const variants = await validate(
        advert([
          { role: 'CHIEF_MINISTER', name: 'Mohan Yadav' },
          { role: 'MINISTER', name: 'Kamal Patel' },
        ]),
      );
      for (const v of variants) {
        expect(rules(v.violations)).toEqual(['media[0].people[1]:ADVERTISEMENT_PHOTOGRAPH']);
        expect(v.violations[0].message).toContain('Kamal Patel');
        expect(v.violations[0].message).toContain('Common Cause');
      }
      const content = await h.contents.create(
        editor(),
        departmentId,
        input(advert([{ role: 'MINISTER', name: 'Kamal Patel' }])),
      );
      const refused = await refusal(h.contents.submit(editor(), content.id));
      expect(refused?.code).toBe('COMPLIANCE_VIOLATION');
      expect(rules(refused?.violations)).toEqual(['media[0].people[0]:ADVERTISEMENT_PHOTOGRAPH']);
      expect(refused?.violations[0].message).toContain('Kamal Patel');
      expect(await statusOf(content.id)).toBe('DRAFT');
      // The Chief Minister alone is allowed.
      const cm = await h.contents.create(
        editor(),
        departmentId,
        input(advert([{ role: 'CHIEF_MINISTER', name: 'Mohan Yadav' }])),
      );
      expect((await h.contents.submit(editor(), cm.id)).status).toBe('IN_REVIEW');
    });

    it("allows the department's own minister when the IT cell says so and the people registry names them", async () => {
      await h.compliance.setAdvertisementAllowList(IT_CELL, ['PRIME_MINISTER', 'CHIEF_MINISTER'], true);
      await h.compliance.setDepartmentMinisters(IT_CELL, departmentId, ['Kamal Patel', 'कमल पटेल']);
      expect(await h.compliance.ministersVisibleTo(editor(), departmentId)).toEqual([
        'Kamal Patel',
        'कमल पटेल',
      ]);
      const own = await validate(
        advert([
          { role: 'MINISTER', name: 'Shri Kamal Patel' },
          { role: 'MINISTER', name: 'कमल पटेल' },
        ]),
      );
      expect(own.flatMap((v) => v.violations)).toEqual([]);
      const other = await validate(advert([{ role: 'MINISTER', name: 'Vishvas Sarang' }]));
      expect(rules(other[0].violations)).toEqual(['media[0].people[0]:ADVERTISEMENT_PHOTOGRAPH']);
      expect(other[0].violations[0].message).toContain("Vishvas Sarang is not this department's minister");
      // The narrowed list (the seed's practice: PM and CM only) now refuses the Governor.
      const governor = await validate(advert([{ role: 'GOVERNOR', name: 'Mangubhai Patel' }]));
      expect(governor[0].violations[0].message).toContain('Mangubhai Patel');
    });

    it('lets only the IT cell change the policy or the people registry', async () => {
      const admin = principal('DEPT_ADMIN', code);
      expect((await refusal(h.compliance.setAdvertisementAllowList(admin, ['MINISTER'])))?.code).toBe(
        'FORBIDDEN',
      );
      expect((await refusal(h.compliance.setDepartmentMinisters(admin, departmentId, ['Me'])))?.code).toBe(
        'FORBIDDEN',
      );
      expect((await refusal(h.compliance.setDepartmentMinisters(IT_CELL, departmentId, ['  '])))?.code).toBe(
        'BAD_USER_INPUT',
      );
      expect(await h.compliance.policy(editor())).toMatchObject({
        adPhotoAllowList: ['PRESIDENT', 'PRIME_MINISTER', 'GOVERNOR', 'CHIEF_MINISTER'],
        allowDepartmentMinister: false,
      });
    });
  });

  describe('political neutrality', () => {
    it('refuses a political party name in Hindi or English, wherever it is written', async () => {
      const hindi = await validate({
        body: [{ language: 'HI', text: 'भाजपा सरकार की नई योजना से किसान खुश।' }],
      });
      expect(rules(hindi[0].violations)).toEqual(['body[0].text:POLITICAL_NEUTRALITY']);
      expect(hindi[0].violations[0].message).toContain('भाजपा');
      const english = await validate({ title: 'Congress leaders visit the mandi' });
      expect(rules(english[0].violations)).toEqual(['title:POLITICAL_NEUTRALITY']);
      const override = await validate({ overrides: [{ accountId: X(), text: 'Vote for #BJP2024' }] });
      expect(override.map((v) => rules(v.violations))).toEqual([
        [`variants[${X()}].text:POLITICAL_NEUTRALITY`],
        [],
      ]);

      const content = await h.contents.create(
        editor(),
        departmentId,
        input({ hashtags: ['MPKisan', 'कांग्रेस'] }),
      );
      const refused = await refusal(h.contents.submit(editor(), content.id));
      expect(refused?.code).toBe('COMPLIANCE_VIOLATION');
      expect(rules(refused?.violations)).toEqual(['hashtags[1]:POLITICAL_NEUTRALITY']);
    });
  });

  describe('duplicate text', () => {
    it('refuses text already published on the same account, once PublicationPublished has arrived', async () => {
      const words = {
        body: [{ language: 'HI' as const, text: `मंडी में गेहूं की आवक ${code}` }],
        hashtags: ['MPKisan'],
      };
      const first = await h.contents.create(editor(), departmentId, input(words));
      await h.contents.submit(editor(), first.id);
      expect((await validate(words)).flatMap((v) => v.violations)).toEqual([]);

      const published = await h.emit(PublicationPublishedSchema, {
        contentId: first.id,
        departmentId,
        publicationId: 'pub-1',
        accountId: X(),
        platform: PbPlatform.X,
        contentVersion: 1,
        attempt: 1,
        externalId: '1790000000000000000',
        url: 'https://x.com/mp/status/1790000000000000000',
        publishedAt: timestampFromDate(new Date()),
      });
      expect(await h.handled(published)).toBe('handled');

      // Same text: refused on X, where it was published, not on Facebook.
      const again = await validate(words);
      expect(again.map((v) => [v.account.id, rules(v.violations)])).toEqual([
        [X(), [`variants[${X()}].text:DUPLICATE_TEXT`]],
        [FB(), []],
      ]);
      const second = await h.contents.create(editor(), departmentId, input(words));
      const refused = await refusal(h.contents.submit(editor(), second.id));
      expect(refused?.code).toBe('COMPLIANCE_VIOLATION');
      expect(rules(refused?.violations)).toEqual([`variants[${X()}].text:DUPLICATE_TEXT`]);
      // Reworded for X (an override), it goes.
      const reworded = await h.contents.update(
        editor(),
        second.id,
        1,
        input({ ...words, overrides: [{ accountId: X(), text: `आज मंडी में गेहूं की आवक ${code}` }] }),
      );
      expect((await h.contents.submit(editor(), reworded.id)).status).toBe('IN_REVIEW');
    });
  });

  describe('structure stays BAD_USER_INPUT', () => {
    it('refuses submitting content without targets with BAD_USER_INPUT, and validation saves nothing', async () => {
      const content = await h.contents.create(editor(), departmentId, input({ targetAccountIds: [] }));
      const refused = await refusal(h.contents.submit(editor(), content.id));
      expect(refused).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(rules(refused?.violations)).toEqual(['targetAccountIds:TARGETS_REQUIRED']);

      const count = () =>
        asPlatform(h.ds, async (em) => [
          await em.count(Content),
          Number((await em.query(`SELECT count(*) AS n FROM prasar_outbox`))[0].n),
          Number((await em.query(`SELECT count(*) AS n FROM content_versions`))[0].n),
        ]);
      const before = await count();
      await validate({ title: 'Only checking' });
      expect(await refusal(validate({ body: [{ language: 'EN', text: ' ' }] }))).toMatchObject({
        code: 'BAD_USER_INPUT',
        violations: [{ field: 'body', rule: 'BODY_REQUIRED' }],
      });
      expect(await count()).toEqual(before);
    });

    it('answers NOT_FOUND for validating in another department, as for a missing one', async () => {
      const outsider = principal('DEPT_EDITOR', uniqueCode('health'));
      expect((await refusal(h.contents.validate(outsider, departmentId, input())))?.code).toBe('NOT_FOUND');
    });
  });

  async function statusOf(id: string) {
    return (await asPlatform(h.ds, (em) => em.findOneByOrFail(Content, { id }))).status;
  }

  it('emits ContentSubmitted with the snapshot of the version that passed', async () => {
    const content = await h.contents.create(editor(), departmentId, input({ title: 'Clean submission' }));
    await h.contents.submit(editor(), content.id);
    const [submitted] = (await h.outbox('ContentSubmitted')).filter((e) => e.key === content.id);
    expect(submitted.message).toMatchObject({
      contentId: content.id,
      departmentId,
      snapshot: { version: 1, title: 'Clean submission', targetAccountIds: [X(), FB()] },
    });
  });
});
